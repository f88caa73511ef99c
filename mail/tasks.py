"""Thin Celery tasks of the mail room: safe to run twice, never lost to a mail-server outage.

How another app asks for mail (it may not import this app if it sits below it; reports
may, but the outbox keeps the mail with the change that needs it either way):

    from outbox import relay as outbox
    # what happened, for mail/events.py to tell whom it concerns:
    outbox.enqueue("mail.tasks.notify", "resolution_accepted", resolution.pk)
    # the same, for an event whose handler takes a list and costs less done for many
    # (a receipt per filing: a surge's receipts go in sets):
    outbox.enqueue_in_set("mail.tasks.notify", "ticket_filed", item=ticket.pk)
    # one mail to a case's customer, of a kind in mail/kinds.py, once per key:
    outbox.enqueue(
        "mail.tasks.notify_customer", ticket.pk, "delay_notice", f"{ticket.pk}:{notice.pk}",
        {"reason": notice.reason, "expected_at": notice.expected_at.isoformat()},
    )

`notify_customer` renders mail/email/<kind>.txt (and _subject.txt) with the case, its
customer and `context`, in the customer's language, with a reply address that names the
case. `key` names the event: the same kind and key never mail twice, however often the
task runs. A kind the customer turned off in their profile is recorded and not sent,
unless mail/kinds.py marks it required.
"""

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils.dateparse import parse_datetime

from mail import compose, delivery, events, inbound
from mail.kinds import CUSTOMER, KINDS
from tickets.models import Ticket


def send(outgoing: list[compose.Outgoing]) -> int:
    """Record these mails once each (by their keys) and try to send them now.

    For the apps above mail that compose their own (reports), from a task of theirs: what
    the mail server does not take now, the beat retries (mail.delivery).
    """
    with transaction.atomic():
        ids = compose.record(outgoing)
    # A set's mails (receipts) go in the sender's batches, each over one connection.
    size = delivery.BATCH_SIZE
    return sum(delivery.deliver(ids=ids[i : i + size]) for i in range(0, len(ids), size))


# A task that cannot reach the database (the surge's PostgreSQL out of connections) has
# recorded nothing, and nothing else would send its mail: it tries again, backing off.
# Safe, since a second run sends nothing more.
_DATABASE_RETRIES = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "max_retries": 12,
}


@shared_task(ignore_result=True, **_DATABASE_RETRIES)
def notify(event: str, *args) -> int:
    """Mail whoever `event` concerns (mail/events.py); a second run sends nothing more."""
    return send(events.EVENTS[event](*args))


@shared_task(ignore_result=True, **_DATABASE_RETRIES)
def notify_customer(
    ticket_id: int, kind: str, key: str, context: dict | None = None, template: str = ""
) -> int:
    """One mail of `kind` to the case's customer, once per `key` (see the module's text)."""
    if KINDS[kind].audience != CUSTOMER:
        raise ValueError(f"{kind} is not a kind of customer mail")
    ticket = Ticket.objects.select_related("customer__customer_profile").filter(pk=ticket_id)
    context = {
        name: parse_datetime(value) if name.endswith("_at") and isinstance(value, str) else value
        for name, value in (context or {}).items()
    }
    return send(
        [
            compose.Outgoing(f"{kind}:{key}", kind, template or kind, t.customer, t, context)
            for t in ticket
        ]
    )


@shared_task(ignore_result=True)
def deliver(ids: list[int]) -> int:
    return delivery.deliver(ids=ids)


@shared_task(ignore_result=True)
def deliver_due() -> int:
    """The beat's minute: mail that waited for the server, and inbound mail a crash left."""
    inbound.ingest_waiting()
    return delivery.deliver_due()


@shared_task(ignore_result=True)
def ingest(inbound_id: int) -> str:
    return inbound.ingest(inbound_id)


@shared_task(ignore_result=True)
def fetch_imap() -> int:
    from mail import imap

    return imap.fetch()
