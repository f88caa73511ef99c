"""Thin Celery tasks: the sweep the beat runs every minute, and the panel draws it queues.

The mails the sweep's news causes are the mail app's (mail.tasks.notify).
"""

import logging

from celery import shared_task
from django.conf import settings
from kombu.exceptions import OperationalError

from escalation import sweep

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def sla_sweep() -> dict:
    """Escalate what is overdue and warn what is close; a missed beat loses nothing.

    When more is due than one batch holds (an incident's wave of breaches), it asks for
    helpers, so the worker's other processes sweep beside it.
    """
    return _summary(
        sweep.sweep(batch_size=settings.REDRESS_SLA_SWEEP_BATCH, on_backlog=_ask_for_help)
    )


@shared_task(ignore_result=True)
def sla_sweep_help() -> dict:
    """A helper of a sweep with a backlog: the same sweep, which asks for no more helpers.

    One that starts after the work is done finds nothing to do (a no-op sweep is a few
    queries); one that expired in a busy queue is dropped by the worker.
    """
    return _summary(sweep.sweep(batch_size=settings.REDRESS_SLA_SWEEP_BATCH))


def _ask_for_help() -> None:
    for _ in range(settings.REDRESS_SLA_SWEEP_HELPERS):
        try:
            # Not through the outbox: no change of a case waits on it, and with the broker
            # away the sweep goes on alone.
            sla_sweep_help.apply_async(retry=False, expires=settings.SLA_SWEEP_INTERVAL * 0.9)
        except OperationalError as error:
            log.warning("sla sweep: no helper asked for, the broker is away (%s)", error)
            return


def _summary(result: sweep.SweepResult) -> dict:
    return {
        "escalated": len(result.escalated),
        "alerted": len(result.alerted),
        "warned": len(result.warned),
        "lifecycle": len(result.lifecycle),
        "decision_warned": len(result.decision_warned),
    }


# Cases per transaction of a draw: one batch of the sweep's size sends up to 500 at once.
DRAW_BATCH = 100


@shared_task
def draw_panels(ticket_ids: list[int]) -> None:
    """Seat a panel for each case that reached the committee; a second run changes nothing.

    Set-based, in bounded transactions; a case that left the committee meanwhile is passed
    over, and one held locked elsewhere is left to the sweep's panel retry.
    """
    from escalation import services

    for start in range(0, len(ticket_ids), DRAW_BATCH):
        services.panel_draw_many(ticket_ids=ticket_ids[start : start + DRAW_BATCH])
