"""Moving a case up a tier: one rule for people (one case) and for the sweep (thousands)."""

from __future__ import annotations

from datetime import datetime

from escalation.bulk import attnames
from sla import clock
from tickets.models import EventKind, Status, Ticket, TicketEvent
from tickets.transitions import next_tier

_START_ATTNAMES = attnames(Ticket, clock.START_FIELDS)


def started_clock(
    book: clock.PolicyBook, tier: str, category_id: int | None, priority: str, now: datetime
) -> dict[str, object]:
    """The clock fields (by attribute name) `clock.start_tier` gives a case entering `tier` now.

    They depend only on the policy and the time, so a sweep escalating thousands of
    cases works them out once per policy. The lists in it are shared: copy to change.
    """

    def start() -> dict[str, object]:
        blank = Ticket(tier=tier, category_id=category_id, priority=priority, status=Status.OPEN)
        clock.start_tier(blank, now, book)
        return {name: getattr(blank, name) for name in _START_ATTNAMES}

    return book.memo(("started_clock", tier, category_id, priority, now), start)


def tier_move(ticket, *, now: datetime, book: clock.PolicyBook) -> tuple[dict, list[dict]]:
    """The new field values (by attribute name) and the events of raising a case one tier.

    `ticket` is a Ticket or a row of its values. The case reopens at the next tier with
    nobody assigned (that tier's staff take it from their queue) and that tier's policy
    starts its clock. The returned values may be shared between cases: copy to change.
    """
    higher = next_tier(ticket.tier)
    events = [{"kind": EventKind.TIER, "from_tier": ticket.tier, "to_tier": higher}]
    if ticket.status != Status.OPEN:
        events.append(
            {"kind": EventKind.STATUS, "from_status": ticket.status, "to_status": Status.OPEN}
        )
    changes = {
        "tier": higher,
        "status": Status.OPEN,
        "assignee_id": None,
        **started_clock(book, higher, ticket.category_id, ticket.priority, now),
    }
    return changes, events


def raise_tier(
    ticket: Ticket, *, now: datetime, book: clock.PolicyBook, actor, data: dict
) -> list[TicketEvent]:
    """Change the ticket in memory; return the events the caller writes."""
    changes, events = tier_move(ticket, now=now, book=book)
    for name, value in changes.items():
        setattr(ticket, name, list(value) if isinstance(value, list) else value)
    return [TicketEvent(ticket=ticket, actor=actor, data=data, **event) for event in events]
