"""manage.py mail_listen: the demo's listener says where it takes mail, or why it cannot."""

import os
import signal
import socket
import subprocess
import sys
import time

from tests.escalation.test_worker import PROJECT_ROOT


def _run(port: int) -> tuple[str, str]:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "mail_listen", "--port", str(port)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    time.sleep(8)
    alive = process.poll() is None
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    assert alive, err
    assert process.returncode == 0, (process.returncode, err)  # stopped as asked
    return out, err


def test_the_listener_prints_its_address_and_stops_on_sigterm():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out, _err = _run(port)
    assert f"Inbound mail: SMTP on 127.0.0.1:{port}" in out


def test_a_busy_port_is_said_and_the_demo_keeps_running():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        _out, err = _run(busy.getsockname()[1])
    assert "set REDRESS_SMTP_PORT to a free port" in err
