"""Thin Celery tasks: the sweep the beat runs every minute, and the panel draws it queues.

The mails the sweep's news causes are the mail app's (mail.tasks.notify).
"""

from celery import shared_task

from escalation import sweep


@shared_task(ignore_result=True)
def sla_sweep() -> dict:
    """Escalate what is overdue and warn what is close; a missed beat loses nothing."""
    result = sweep.sweep()
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
