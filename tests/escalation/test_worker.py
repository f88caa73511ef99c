"""A real Celery worker and beat, against real Redis, escalate overdue cases by themselves.

Nothing here calls the sweep: the beat sends `escalation.tasks.sla_sweep` on its schedule,
the worker runs it, and the sweep finds what is due by the ticket's `escalation_due_at`.
No deadline is ever a Celery countdown or ETA.

The worker and beat are separate processes, so the test data must be committed
(`transaction=True`) and they must use the test database. They get a Redis database of
their own (flushed before and after) so stray messages from other runs never interfere.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from sla.models import Outcome, SLAPolicy, SLARecord, Target
from tests.factories import CustomerFactory, category
from tickets import services
from tickets.models import EventKind, Ticket, TicketEvent, Tier

pytestmark = [
    pytest.mark.postgres,
    # The seeded categories, groups and policies come from data migrations: restore them,
    # since an earlier transactional test may have flushed them.
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SWEEP_INTERVAL = 2  # seconds between beats here; production keeps its 60 s default
TARGET = timedelta(seconds=15)  # the first-reply target here: real time passes in this test
ESCALATION_TIMEOUT = 90  # the target, the processes' start and a few beats late at most
SENT = "Sending due task sla-sweep (escalation.tasks.sla_sweep)"
SWEPT = "Task escalation.tasks.sla_sweep["
HELPED = "Task escalation.tasks.sla_sweep_help["


def _redis_url() -> str | None:
    """The broker's Redis server, but a database of our own (one per xdist worker)."""
    parts = urlsplit(settings.CELERY_BROKER_URL)
    if parts.scheme not in ("redis", "rediss"):
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    return urlunsplit(parts._replace(path=f"/{15 - index % 8}", query=""))


@pytest.fixture
def broker_url() -> Iterator[str]:
    url = _redis_url()
    if url is None:
        pytest.skip(f"needs a Redis broker (CELERY_BROKER_URL is {settings.CELERY_BROKER_URL!r})")
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis at {url} does not answer PING: {error}")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def _database_url() -> str:
    """The test database (test_<name>, per xdist worker), as a DATABASE_URL."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    netloc = quote(db["HOST"] or "localhost", safe="")
    if db["PORT"]:
        netloc += f":{db['PORT']}"
    if auth:
        netloc = f"{auth}@{netloc}"
    return f"postgres://{netloc}/{quote(db['NAME'], safe='')}"


class Process:
    """A celery command with its output in a file, for the CI log when something fails."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path):
        self.name, self.log = name, log
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", *args],
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C meant for pytest is not theirs
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)

    def tail(self, lines: int = 50) -> str:
        last = "\n".join(self.output().splitlines()[-lines:])
        return f"----- {self.name} (exit {self.popen.returncode}), last {lines} lines -----\n{last}"


@contextmanager
def celery(
    tmp_path: Path, broker: str, *, workers: int = 1, beats: int = 1, env: dict | None = None
):
    """Start real workers and beats on the test database; always stop them again."""
    env = {
        **os.environ,
        **(env or {}),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": broker,
        "REDRESS_SLA_SWEEP_INTERVAL": str(SWEEP_INTERVAL),
        "PYTHONUNBUFFERED": "1",
    }
    processes: list[Process] = []
    passed = False
    try:
        for n in range(1, workers + 1):
            args = ["worker", "--pool=solo", "--loglevel=INFO", f"--hostname=worker{n}@%h"]
            args += ["--without-mingle", "--without-gossip"]
            processes.append(Process(f"worker{n}", args, env, tmp_path / f"worker{n}.log"))
        for n in range(1, beats + 1):
            schedule = tmp_path / f"beat{n}-schedule"
            args = ["beat", "--loglevel=INFO", f"--schedule={schedule}"]
            processes.append(Process(f"beat{n}", args, env, tmp_path / f"beat{n}.log"))
        yield processes
        passed = True
    finally:
        for process in processes:
            process.stop()
        if not passed:
            for process in processes:
                print(process.tail(), file=sys.stderr)


def sweeps_done(process: Process) -> int:
    return sum(
        1 for line in process.output().splitlines() if SWEPT in line and " succeeded in " in line
    )


def wait_for(condition: Callable[[], bool], processes: list[Process], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for process in processes:
            if process.popen.poll() is not None:
                pytest.fail(f"{process.name} exited with {process.popen.returncode}")
        if time.monotonic() > deadline:
            pytest.fail(f"nothing escalated within {timeout} s")
        time.sleep(1)


def short_first_reply() -> None:
    """Every support policy (fallback and specific) owes a first reply within TARGET."""
    changed = SLAPolicy.objects.filter(tier=Tier.SUPPORT).update(first_response_target=TARGET)
    assert changed >= 1
    assert SLAPolicy.objects.filter(tier=Tier.SUPPORT, category=None, priority="").exists()


def file_ticket() -> Ticket:
    customer = CustomerFactory()
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("other"),
        subject="My account page shows the wrong balance",
        description="Since this morning my balance is shown as zero.",
        fields={},
    )


def at_appeal_center(ticket: Ticket) -> Callable[[], bool]:
    return lambda: Ticket.objects.get(pk=ticket.pk).tier != Tier.SUPPORT


def assert_escalated_once(ticket: Ticket) -> SLARecord:
    ticket.refresh_from_db()
    assert ticket.tier == Tier.APPEAL_CENTER
    (event,) = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TIER)
    assert (event.from_tier, event.to_tier) == (Tier.SUPPORT, Tier.APPEAL_CENTER)
    assert event.data["reason"] == "sla_breach"
    assert event.data["targets"] == [Target.FIRST_RESPONSE]
    (breach,) = SLARecord.objects.filter(ticket=ticket, outcome=Outcome.BREACHED)
    assert (breach.tier, breach.target) == (Tier.SUPPORT, Target.FIRST_RESPONSE)
    # The appeal center's own clock now runs (its policies were left alone: hours, not minutes).
    assert ticket.escalation_due_at - timezone.now() > timedelta(hours=1)
    return breach


def test_a_short_target_escalates_with_no_one_calling_the_sweep(tmp_path, broker_url):
    short_first_reply()
    with celery(tmp_path, broker_url) as processes:
        ticket = file_ticket()
        assert ticket.tier == Tier.SUPPORT
        assert ticket.first_response_due_at == ticket.sla_started_at + TARGET
        assert ticket.escalation_due_at == ticket.first_response_due_at
        assert abs(ticket.sla_started_at - timezone.now()) < timedelta(seconds=5)

        # Honestly waited for: the worker and beat are other processes, out of time travel's
        # reach.
        wait_for(at_appeal_center(ticket), processes, ESCALATION_TIMEOUT)
        breach = assert_escalated_once(ticket)
        # Not early, and no later than a couple of beats (plus a slow CI machine) after due.
        assert breach.due_at <= breach.at < breach.due_at + timedelta(seconds=30)
        worker, beat = processes
        assert SENT in beat.output()
        assert sweeps_done(worker) >= 1


def test_duplicate_beats_escalate_once(tmp_path, broker_url):
    short_first_reply()
    ticket = file_ticket()
    # Already overdue: this test is about duplicates, not timing.
    past = timezone.now() - timedelta(seconds=1)
    Ticket.objects.filter(pk=ticket.pk).update(escalation_due_at=past, first_response_due_at=past)

    with celery(tmp_path, broker_url, workers=2, beats=2) as processes:
        wait_for(at_appeal_center(ticket), processes, 60)
        time.sleep(3 * SWEEP_INTERVAL + 1)  # more beats from both schedulers, more sweeps
        assert_escalated_once(ticket)
        workers, beats = processes[:2], processes[2:]
        sent = [beat.output().count(SENT) for beat in beats]
        assert min(sent) >= 3, sent
        # More sweeps ran than one beat sent: the duplicates really were swept.
        assert sum(sweeps_done(worker) for worker in workers) > max(sent)


def test_a_wave_of_breaches_brings_in_a_helper_and_each_case_still_escalates_once(
    tmp_path, broker_url
):
    short_first_reply()
    tickets = [file_ticket() for _ in range(7)]
    past = timezone.now() - timedelta(seconds=1)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        escalation_due_at=past, first_response_due_at=past
    )

    # Batches of two: the beat's sweep finds its first batch full and asks for a helper,
    # which the other worker takes through the broker.
    env = {"REDRESS_SLA_SWEEP_BATCH": "2", "REDRESS_SLA_SWEEP_HELPERS": "1"}
    with celery(tmp_path, broker_url, workers=2, env=env) as processes:
        everyone_up = lambda: all(at_appeal_center(t)() for t in tickets)  # noqa: E731
        wait_for(everyone_up, processes, 60)
        workers = processes[:2]
        wait_for(
            lambda: any(
                HELPED in line and " succeeded in " in line
                for worker in workers
                for line in worker.output().splitlines()
            ),
            processes,
            30,
        )
        for ticket in tickets:
            assert_escalated_once(ticket)
