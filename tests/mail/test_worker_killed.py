"""A worker killed between sending a mail and acknowledging its task sends one mail.

A real Celery worker against real Redis sends a receipt over real SMTP, then dies before
Celery acknowledges the task (tests/mail/dying_worker.py). Redis hands the task to the
next worker, which runs it again: the notification's row says it was sent, so no second
mail goes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from config.celery import app
from mail.models import Notification
from mail.smtp import Listener
from tests.escalation.test_worker import PROJECT_ROOT, _database_url, broker_url  # noqa: F401
from tests.factories import TicketFactory
from tests.mail.helpers import Recorder

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
    # The test process sends the task to the real broker on purpose.
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]


def _worker(env: dict, log) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "tests.mail.dying_worker", "worker"),
            *("--pool=solo", "--loglevel=INFO", "--without-mingle", "--without-gossip"),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait(condition, timeout: float, what: str, log_path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(
                f"{what} within {timeout} s\n{log_path.read_text(errors='replace')[-3000:]}"
            )
        time.sleep(0.5)


def test_a_killed_worker_before_acknowledging_sends_one_mail(tmp_path, broker_url):  # noqa: F811
    recorder = Recorder()
    smtp = Listener("127.0.0.1", 0, handler=recorder).start()
    marker, log_path = tmp_path / "died", tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.mail.worker_settings",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker_url,
        "REDIS_URL": broker_url,
        "TEST_SMTP_PORT": str(smtp.port),
        "DIE_MARKER": str(marker),
        "PYTHONUNBUFFERED": "1",
    }
    ticket = TicketFactory()
    worker = None
    try:
        with app.connection_for_write(broker_url) as connection:
            app.send_task(
                "mail.tasks.notify", args=["ticket_filed", ticket.pk], connection=connection
            )
        with log_path.open("ab") as log:
            worker = _worker(env, log)
            _wait(lambda: worker.poll() is not None, 60, "the worker did not die", log_path)
        assert marker.exists() and len(recorder.received) == 1  # sent, then killed
        assert Notification.objects.get().state == Notification.State.SENT

        with log_path.open("ab") as log:
            worker = _worker(env, log)
            redelivered = "mail.tasks.notify["
            _wait(
                lambda: log_path.read_text(errors="replace").count(redelivered) >= 3,
                60,
                "the unacknowledged task was not delivered again",
                log_path,
            )
            _wait(
                lambda: "succeeded in" in log_path.read_text(errors="replace"),
                30,
                "the redelivered task did not finish",
                log_path,
            )
        assert len(recorder.received) == 1
        assert Notification.objects.count() == 1
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(20)
        smtp.stop()
