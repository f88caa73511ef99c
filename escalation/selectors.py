"""Reads of the upper tiers that pages and the API share."""

from __future__ import annotations

from django.db.models import Q

from accounts import roles
from escalation.models import Panel, PanelSeat
from tickets.models import Ticket


def published_decision(ticket: Ticket) -> Panel | None:
    """The committee's published decision, shown to the customer with its reasons."""
    return (
        Panel.objects.filter(ticket=ticket, state=Panel.State.DECIDED)
        .order_by("-decided_at")
        .first()
    )


def committee_reads(user) -> Q | None:
    """A committee member reads the cases of panels they sit or sat on, and no other
    (tickets.selectors.case_scope adds this to the one read scope)."""
    if not roles.has_role(user, roles.COMMITTEE):
        return None
    return Q(pk__in=PanelSeat.objects.filter(member=user).values("panel__ticket_id"))
