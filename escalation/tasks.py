"""Thin Celery tasks: the sweep beat runs every minute, and the mails it queues."""

from celery import shared_task

from escalation import notifications, sweep


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


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_escalated(ticket_ids: list[int]) -> None:
    notifications.escalated(ticket_ids)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def alert_admins(ticket_ids: list[int]) -> None:
    notifications.committee_breached(ticket_ids)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_warning(ticket_ids: list[int]) -> None:
    notifications.deadline_close(ticket_ids)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_decision_due(ticket_ids: list[int]) -> None:
    notifications.decision_due(ticket_ids)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def alert_admins_no_panel(ticket_ids: list[int]) -> None:
    notifications.no_independent_panel(ticket_ids)


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
