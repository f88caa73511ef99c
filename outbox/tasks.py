"""The relay beat: what could not be sent when it was recorded goes now."""

from celery import shared_task

from outbox import relay as outbox


@shared_task(ignore_result=True)
def relay() -> int:
    sent = outbox.relay(settle=outbox.SETTLE)
    outbox.purge()
    return sent


@shared_task(ignore_result=True)
def gather() -> int:
    """Asked for after each commit that recorded a call of a set (outbox.relay.enqueue_in_set)."""
    return outbox.gather()
