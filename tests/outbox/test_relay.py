"""The outbox: a broker that is down when a case changes loses nothing and breaks nothing."""

import socket
import threading
import time
from datetime import timedelta

import pytest
from celery import Task
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from escalation import sweep
from outbox import relay
from outbox.models import Message
from tests.factories import CustomerFactory
from tests.sla.test_clock import file_kyc
from tests.tickets.test_api import WITHDRAWAL, client_for
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(task, *args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", refuse)
    yield
    monkeypatch.undo()


@pytest.mark.django_db(transaction=True)
def test_filing_with_the_broker_down_succeeds_and_the_mail_follows_when_it_is_back(
    broker_down, monkeypatch
):
    response = client_for(CustomerFactory()).post("/api/v1/tickets/", WITHDRAWAL, format="json")
    # The case is filed (committed, with its audit trail): the customer is told so.
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    (waiting,) = Message.objects.filter(sent_at=None)
    assert waiting.task == "mail.tasks.notify"
    assert waiting.args == ["ticket_filed", [ticket.pk]] and waiting.in_set
    assert waiting.attempts == 1
    assert "Connection refused" in waiting.last_error
    assert mail.outbox == []

    monkeypatch.undo()  # the broker is back
    assert relay.relay() == 1
    assert [m for m in mail.outbox if ticket.reference in m.subject]
    assert relay.relay() == 0


def test_the_sweep_escalates_with_the_broker_down_and_notifies_once_it_is_back(
    broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_kyc()
        result = sweep.sweep(now=timezone.now() + timedelta(hours=49))
    assert result.escalated == [ticket.pk]
    ticket.refresh_from_db()
    assert ticket.tier == "appeal_center"
    pending = Message.objects.filter(sent_at=None).values_list("task", "args")
    assert ("mail.tasks.notify", ["escalated", [ticket.pk]]) in pending
    monkeypatch.undo()
    mail.outbox.clear()
    relay.relay()
    assert any("moved" in m.subject and ticket.reference in m.subject for m in mail.outbox)
    assert not Message.objects.filter(sent_at=None).exists()


def _at_once(target, count: int) -> None:
    """`target` in `count` threads at once, each closing its own database connection."""

    def run():
        from django.db import connection

        try:
            target()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_relays_never_send_a_message_twice(monkeypatch):
    Message.objects.bulk_create(Message(task="mail.tasks.deliver", args=[[n]]) for n in range(60))
    sent, lock = [], threading.Lock()

    def record(task, args=None, **kwargs):
        with lock:
            sent.append(args[0][0])

    monkeypatch.setattr(Task, "apply_async", record)

    _at_once(lambda: relay.relay(batch_size=7), 2)
    relay.relay()  # whatever a relay skipped as locked by the other
    assert sorted(sent) == list(range(60))
    assert not Message.objects.filter(sent_at=None).exists()


def test_the_relay_task_forgets_what_was_sent_a_week_ago_and_keeps_what_waits(broker_down):
    from outbox.tasks import relay as relay_task

    long_ago, now = timezone.now() - timedelta(days=8), timezone.now()
    _old_sent, recent_sent, waiting = Message.objects.bulk_create(
        Message(task="mail.tasks.deliver", args=[[]], created_at=at, sent_at=sent)
        for at, sent in ((long_ago, long_ago), (now, now), (long_ago, None))
    )
    relay_task()  # the broker refuses the one that waits; then the purge
    assert set(Message.objects.values_list("pk", flat=True)) == {recent_sent.pk, waiting.pk}
    assert Message.objects.get(pk=waiting.pk).attempts == 1


@pytest.fixture
def closed_broker(monkeypatch):
    """Tasks go to a real broker (no eager run) whose address refuses every connection."""
    from celery import current_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free, and nothing listens once the socket is closed
    saved = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    # Celery reads the broker's address from the environment before its settings.
    monkeypatch.setenv("CELERY_BROKER_URL", f"redis://127.0.0.1:{port}/0")
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    yield
    current_app.conf.task_always_eager = saved


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_filing_with_the_broker_down_is_as_fast_and_the_relay_sends_it_later(closed_broker):
    from celery import current_app

    from outbox.tasks import relay as relay_task

    client = client_for(CustomerFactory())
    # The first send of a process imports the broker's transport: not what is timed.
    client.post("/api/v1/tickets/", {**WITHDRAWAL, "allow_duplicate": True}, format="json")
    began = time.perf_counter()
    response = client.post(
        "/api/v1/tickets/", {**WITHDRAWAL, "allow_duplicate": True}, format="json"
    )
    elapsed = time.perf_counter() - began
    assert response.status_code == 201, response.content
    # Celery's own connection retries for 4 s and more before it gives up.
    assert elapsed < 1.0
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    (waiting,) = [m for m in Message.objects.filter(sent_at=None) if m.args[1] == [ticket.pk]]
    assert waiting.attempts == 1 and "refused" in waiting.last_error.lower()
    assert not [m for m in mail.outbox if ticket.reference in m.subject]

    current_app.conf.task_always_eager = True  # the broker is back, and a worker runs it
    assert relay_task() >= 1  # a failed send does not wait the relay's settling time
    assert [m for m in mail.outbox if ticket.reference in m.subject]
    assert not Message.objects.filter(sent_at=None).exists()


@pytest.mark.django_db(transaction=True)
def test_the_relay_leaves_a_new_message_to_the_send_after_its_commit(monkeypatch):
    sent = []
    monkeypatch.setattr(Task, "apply_async", lambda task, args=None, **kw: sent.append(args))
    young, _old = Message.objects.bulk_create(
        Message(task="mail.tasks.deliver", args=[[n]], created_at=at)
        for n, at in ((1, timezone.now()), (2, timezone.now() - relay.SETTLE))
    )
    assert relay.relay(settle=relay.SETTLE) == 1 and sent == [[[2]]]
    assert Message.objects.get(pk=young.pk).sent_at is None
    assert relay.relay() == 1 and sent == [[[2]], [[1]]]  # a relay told not to wait sends it


def _sets(monkeypatch) -> list[tuple[str, list]]:
    sent = []
    monkeypatch.setattr(
        Task, "apply_async", lambda task, args=None, **kw: sent.append((task.name, args))
    )
    return sent


@pytest.mark.django_db(transaction=True)
def test_calls_of_sets_go_as_one_task_per_task_and_first_arguments(monkeypatch):
    Message.objects.bulk_create(
        [Message(task="mail.tasks.notify", args=["ticket_filed", [n]], in_set=True) for n in (1, 2)]
        + [Message(task="mail.tasks.notify", args=["escalated", [3]], in_set=True)]
        + [Message(task="mail.tasks.notify", args=["ticket_filed", [4]], in_set=True)]
        + [Message(task="mail.tasks.deliver", args=[[5]])]  # a single call: not the gather's
    )
    sent = _sets(monkeypatch)
    assert relay.gather(set_size=2) == 4
    assert sent == [
        ("mail.tasks.notify", ["ticket_filed", [1, 2]]),
        ("mail.tasks.notify", ["ticket_filed", [4]]),  # the set size splits them
        ("mail.tasks.notify", ["escalated", [3]]),
    ]
    assert relay.gather() == 0  # a second gather finds nothing to do
    assert list(Message.objects.filter(sent_at=None).values_list("task", flat=True)) == [
        "mail.tasks.deliver"
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_gathers_never_send_a_call_twice(monkeypatch):
    Message.objects.bulk_create(
        Message(task="mail.tasks.notify", args=["ticket_filed", [n]], in_set=True)
        for n in range(300)
    )
    items, lock = [], threading.Lock()

    def record(task, args=None, **kwargs):
        with lock:
            items.extend(args[-1])

    monkeypatch.setattr(Task, "apply_async", record)

    _at_once(lambda: relay.gather(limit=40, set_size=7), 4)
    while relay.gather():  # what the four left (each took at most 40)
        pass
    assert sorted(items) == list(range(300))


@pytest.mark.django_db(transaction=True)
def test_a_set_whose_task_is_gone_waits_visibly_and_the_others_go(monkeypatch):
    gone, _kept = Message.objects.bulk_create(
        [
            Message(task="mail.tasks.renamed_since", args=["x", [1]], in_set=True),
            Message(task="mail.tasks.notify", args=["ticket_filed", [2]], in_set=True),
        ]
    )
    sent = _sets(monkeypatch)
    assert relay.gather() == 1 and sent == [("mail.tasks.notify", ["ticket_filed", [2]])]
    gone.refresh_from_db()
    assert gone.sent_at is None and gone.attempts == 1 and "unknown task" in gone.last_error


@pytest.mark.django_db(transaction=True)
def test_a_filing_asks_for_a_gather_after_commit_and_its_receipt_follows():
    ticket_response = client_for(CustomerFactory()).post(
        "/api/v1/tickets/", WITHDRAWAL, format="json"
    )
    reference = ticket_response.json()["reference"]
    (message,) = Message.objects.filter(in_set=True)
    assert message.sent_at is not None  # the gather (run here, eagerly) took it
    assert [m for m in mail.outbox if reference in m.subject]


@pytest.mark.django_db(transaction=True)
def test_while_a_gather_waits_in_the_queue_commits_ask_for_no_other_and_it_takes_them_all(
    monkeypatch,
):
    queued = []  # the broker holds what is sent; no worker runs it yet

    def hold(task, args=None, **kwargs):
        queued.append((task.name, args))

    monkeypatch.setattr(Task, "apply_async", hold)
    tickets = [
        client_for(CustomerFactory()).post(
            "/api/v1/tickets/", {**WITHDRAWAL, "allow_duplicate": True}, format="json"
        )
        for _ in range(3)
    ]
    assert all(response.status_code == 201 for response in tickets)
    assert queued == [("outbox.tasks.gather", None)]  # one gather asked for three filings
    queued.clear()
    assert relay.gather() == 3  # the worker runs it: one set of three receipts
    ((name, (event, ids)),) = queued
    assert name == "mail.tasks.notify" and event == "ticket_filed" and len(ids) == 3
    client_for(CustomerFactory()).post("/api/v1/tickets/", WITHDRAWAL, format="json")
    assert queued[-1] == ("outbox.tasks.gather", None)  # it started: the next commit asks again
