"""manage.py mail_listen: the demo's listener says where it takes mail, or why it cannot."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.escalation.test_worker import PROJECT_ROOT


def _run(tmp_path, port: int, expected: str) -> str:
    """Start the command, wait until it says `expected`, stop it as honcho would."""
    log = tmp_path / "listen.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "mail_listen", "--port", str(port)],
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + 90  # Django starts slowly on a busy machine
    while expected not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"mail_listen did not say {expected!r}:\n{log.read_text()}")
        time.sleep(0.2)
    assert process.poll() is None  # still up
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0  # stopped as asked
    return log.read_text()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_listener_prints_its_address_and_stops_on_sigterm(tmp_path):
    port = _free_port()
    _run(tmp_path, port, f"Inbound mail: SMTP on 127.0.0.1:{port}")


def test_a_busy_port_is_said_and_the_demo_keeps_running(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        _run(tmp_path, busy.getsockname()[1], "set REDRESS_SMTP_PORT to a free port")
