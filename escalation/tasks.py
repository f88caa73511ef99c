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


@shared_task
def draw_panels(ticket_ids: list[int]) -> None:
    """Seat a panel for each case that reached the committee; a second run changes nothing."""
    from escalation import services
    from tickets.exceptions import InvalidTransition
    from tickets.models import Ticket

    for ticket in Ticket.objects.filter(pk__in=ticket_ids).order_by("pk"):
        try:
            services.panel_draw(ticket=ticket)
        except InvalidTransition:
            continue  # the case left the committee before its panel was drawn
