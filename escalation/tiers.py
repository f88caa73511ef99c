"""Moving a case up a tier: one function for the sweep (in bulk) and for people (one case)."""

from __future__ import annotations

from datetime import datetime

from escalation import clock
from escalation.models import SLARecord
from tickets.models import EventKind, Status, Ticket, TicketEvent
from tickets.transitions import next_tier


def raise_tier(
    ticket: Ticket, *, now: datetime, book: clock.PolicyBook, actor, data: dict
) -> tuple[list[TicketEvent], list[SLARecord]]:
    """Change the ticket in memory; return the events and SLA records the caller writes.

    The case reopens at the next tier with nobody assigned (that tier's staff take it
    from their queue) and that tier's policy starts its clock.
    """
    higher = next_tier(ticket.tier)
    events = [
        TicketEvent(
            ticket=ticket,
            actor=actor,
            kind=EventKind.TIER,
            from_tier=ticket.tier,
            to_tier=higher,
            data=data,
        )
    ]
    if ticket.status != Status.OPEN:
        events.append(
            TicketEvent(
                ticket=ticket,
                actor=actor,
                kind=EventKind.STATUS,
                from_status=ticket.status,
                to_status=Status.OPEN,
                data=data,
            )
        )
        ticket.status = Status.OPEN
    ticket.tier = higher
    ticket.assignee = None
    return events, clock.start_tier(ticket, now, book)
