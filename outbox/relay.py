"""The transactional outbox: Celery tasks are recorded with the change, sent after commit.

`enqueue` writes the task call in the caller's transaction and tries to send it as soon
as that commits. A task is named, not imported ("mail.tasks.notify"): Celery registers
each task under its module path and function name, so an app can ask for the work of an
app above it (tickets and escalation record what happened; mail decides what to send)
without importing it. If the broker cannot take it, the request or sweep still succeeds (its
change is committed and must be reported as done) and the message stays pending; the
relay task sends what is pending every minute, in bounded batches, locking rows with
SKIP LOCKED so that two relays never send one message twice. Delivery is at least once:
a relay that dies between the broker's acceptance and marking the row sent resends it.

The send after commit is on the request path, so it never waits for the broker: one
attempt on a connection of its own with short socket timeouts and no retries (Celery's
default connection retries for `broker_connection_timeout`, 4 s and more, before it gives
up), then one UPDATE that marks what went. What did not go waits for the relay.

`enqueue_in_set` is for work that costs less done for many at once (the receipt of each
filing): such calls are not sent one by one but gathered by a worker into one task per
set, so a surge of filings is mailed over a few SMTP connections, not one per case.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import timedelta
from importlib import import_module

from celery import Task, current_app
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu import Connection
from kombu.exceptions import OperationalError

from outbox.models import Message

log = logging.getLogger(__name__)


def enqueue(task: str, *args) -> None:
    """Send the task named `task` with `args` (JSON) once the current transaction commits.

    Nothing is lost if the broker cannot take it then: the relay sends it later.
    """
    enqueue_all([(task, args)])


def enqueue_in_set(task: str, *args, item) -> None:
    """Ask for `task(*args, [item, …])` once the current transaction commits, in a set.

    For work that costs less done for many at once (a receipt per filing: one SMTP
    connection and a few queries for a whole set). After commit this sends no call of its
    own, only a `gather`: whatever calls of sets are pending when a worker runs it go out
    as one task per task and first arguments, up to SET_SIZE items each. One gather is
    asked for at a time (GATHER_ASKED): while workers are idle a set holds one item and
    goes at once; while they are busy the one gather waits in the queue and the calls
    pile up for it. If the broker cannot take the gather, the relay's minute gathers.
    """
    message = Message.objects.create(task=_checked(task), args=[*args, [item]], in_set=True)
    transaction.on_commit(lambda: _ask_to_gather(message))


def enqueue_all(calls: list[tuple[str, tuple]], *, send_after_commit: bool = True) -> None:
    """`enqueue` for several calls at once: one insert, one send after commit.

    A caller that commits many batches in a row (the SLA sweep) may send them all with one
    `relay()` at its end instead, sparing a transaction per batch.
    """
    if not calls:
        return
    messages = Message.objects.bulk_create(
        Message(task=_checked(task), args=list(args)) for task, args in calls
    )
    if send_after_commit:
        transaction.on_commit(lambda: _send_now(messages))


# One attempt, each socket operation bounded: the broker is local to the web processes, so
# anything slower than this is a broker in trouble, and the relay will send the message.
FAIL_FAST = {"max_retries": 0, "socket_connect_timeout": 0.25, "socket_timeout": 1.0}
_connections = threading.local()


def _fail_fast_connection() -> Connection:
    """This thread's connection to the broker for sends after commit (kept between requests)."""
    url = current_app.conf.broker_write_url or current_app.conf.broker_url
    key = (os.getpid(), url)  # a forked process or a changed broker gets a connection anew
    if getattr(_connections, "key", None) != key:
        _connections.key = key
        _connections.connection = current_app.connection_for_write(url, transport_options=FAIL_FAST)
    return _connections.connection


def _send_now(messages: list[Message]) -> None:
    """Send what a transaction recorded, just after its commit; mark what went in one UPDATE.

    The rows are not locked: the relay leaves messages this young to this send (it waits
    `SETTLE`), and marking only rows still unsent makes a send that both did harmless.
    """
    sent = []
    for message in messages:
        try:
            _task(message.task).apply_async(
                args=message.args, retry=False, connection=_fail_fast_connection()
            )
        except OperationalError as error:
            log.warning("Broker unavailable; %s stays in the outbox: %s", message, error)
            _failed([message.pk], str(error))
            break
        sent.append(message.pk)
    if sent:
        Message.objects.filter(pk__in=sent, sent_at__isnull=True).update(sent_at=timezone.now())


# "A gather is queued and has not started": while it is, a commit asks for no other, and
# the calls pile up for that one to take. The gather forgets it before it reads, so a call
# committed after that asks again. Lost with its gather (a killed worker), it lapses.
GATHER_ASKED = "outbox:gather-asked"
GATHER_ASKED_FOR = 10  # seconds


def _ask_to_gather(message: Message) -> None:
    # Read, not `add`: with the cache away the read misses, and every commit asks.
    if cache.get(GATHER_ASKED):
        return
    cache.set(GATHER_ASKED, True, GATHER_ASKED_FOR)
    try:
        _task("outbox.tasks.gather").apply_async(retry=False, connection=_fail_fast_connection())
    except OperationalError as error:
        log.warning("Broker unavailable; %s waits for the relay: %s", message, error)
        cache.delete(GATHER_ASKED)  # none is queued: the next commit tries again
        _failed([message.pk], str(error))


SET_SIZE = 100  # items in one task of a set: a receipt's set takes a worker under a second


def gather(*, limit: int = 1000, set_size: int = SET_SIZE) -> int:
    """Send the pending calls of sets (up to `limit`), joined; return how many calls went.

    Rows are locked with SKIP LOCKED, so two gathers at once split what is pending and
    never send one call twice; a gather that dies after the broker took its sets and
    before marking them sends them again (at least once, like the relay: the tasks that
    take sets are safe to run twice). Stops at the first broker error.
    """
    cache.delete(GATHER_ASKED)
    sent = []
    with transaction.atomic():
        pending = (
            Message.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, in_set=True)
            .order_by("id")[:limit]
        )
        sets: dict[tuple[str, str], list[Message]] = {}
        for message in pending:
            sets.setdefault((message.task, json.dumps(message.args[:-1])), []).append(message)
        try:
            for (name, first), members in sets.items():
                try:
                    task = _task(name)
                except (ImportError, AttributeError) as error:
                    log.error("No task %s; %d calls of its sets wait", name, len(members))
                    _failed([m.pk for m in members], f"unknown task: {error}")
                    continue
                for start in range(0, len(members), set_size):
                    chunk = members[start : start + set_size]
                    items = [item for message in chunk for item in message.args[-1]]
                    task.apply_async(args=[*json.loads(first), items], retry=False)
                    sent += [message.pk for message in chunk]
        except OperationalError as error:
            log.warning("Broker unavailable; calls of sets wait: %s", error)
            done = set(sent)
            _failed([m.pk for m in pending if m.pk not in done], str(error))
        Message.objects.filter(pk__in=sent).update(sent_at=timezone.now())
    return len(sent)


def _failed(ids: list[int], error: str) -> None:
    Message.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1, last_error=error[:1000])


def _checked(name: str) -> str:
    # A typo would wait in the outbox for ever; refuse it where it is written instead.
    if not isinstance(name, str) or not isinstance(_task(name), Task):
        raise TypeError(f"{name!r} is not the name of a Celery task")
    return name


def _task(name: str) -> Task:
    # Task names are their module path and function name (Celery's default).
    module, _, attribute = name.rpartition(".")
    return getattr(import_module(module), attribute)


# How long the relay leaves a new message to the send after its commit: that send takes
# at most a second or two (FAIL_FAST), and a failed one counts an attempt.
SETTLE = timedelta(seconds=30)


def publish(*, batch_size: int = 100, settle: timedelta | None = None) -> int:
    """Send the oldest pending messages; return how many went.

    With `settle`, a message younger than that which no send has tried yet is left to the
    send after its commit. Stops at the first broker error: the rest would fail alike, and
    wait for the next run.
    """
    sent = []
    with transaction.atomic():
        pending = Message.objects.select_for_update(skip_locked=True).filter(
            sent_at__isnull=True, in_set=False
        )
        if settle is not None:
            pending = pending.filter(Q(created_at__lt=timezone.now() - settle) | Q(attempts__gt=0))
        for message in pending.order_by("id")[:batch_size]:
            try:
                task = _task(message.task)
            except (ImportError, AttributeError) as error:
                # A task renamed since it was recorded: it waits, visibly, for an admin.
                log.error("No task %s; %s stays in the outbox", message.task, message)
                _failed([message.pk], f"unknown task: {error}")
                continue
            try:
                # No retries here: waiting for a broker that is down would hold the request.
                task.apply_async(args=message.args, retry=False)
            except OperationalError as error:
                log.warning("Broker unavailable; %s stays in the outbox: %s", message, error)
                _failed([message.pk], str(error))
                break
            sent.append(message.pk)
        Message.objects.filter(pk__in=sent).update(sent_at=timezone.now())
    return len(sent)


def relay(*, batch_size: int = 100, batches: int = 50, settle: timedelta | None = None) -> int:
    """Everything pending, batch by batch, until none is left or the broker refuses: the
    calls of sets that no gather took first, then the single calls."""
    total = gather()
    for _ in range(batches):
        sent = publish(batch_size=batch_size, settle=settle)
        total += sent
        if sent < batch_size:
            break
    return total


KEEP_SENT = timedelta(days=7)  # long enough to look into a complaint about a mail


def purge(*, limit: int = 10_000) -> int:
    """Forget a bounded batch of messages sent more than KEEP_SENT ago; pending ones stay."""
    old = Message.objects.filter(
        created_at__lt=timezone.now() - KEEP_SENT, sent_at__isnull=False
    ).order_by("created_at")
    deleted, _ = Message.objects.filter(pk__in=old.values("pk")[:limit]).delete()
    return deleted
