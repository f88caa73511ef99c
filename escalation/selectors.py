"""Reads of the upper tiers that pages and the API share."""

from __future__ import annotations

from escalation.models import Panel
from tickets.models import Ticket


def published_decision(ticket: Ticket) -> Panel | None:
    """The committee's published decision, shown to the customer with its reasons."""
    return (
        Panel.objects.filter(ticket=ticket, state=Panel.State.DECIDED)
        .order_by("-decided_at")
        .first()
    )
