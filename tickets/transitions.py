"""The one table of what may happen to a case, and the check that enforces it.

Templates ask `allowed_actions()` only to decide which buttons to show; services call
`check()` and the server refuses anything the table does not allow. Which staff role may
take a staff move at the case's tier is the other half of the rule: tickets/authority.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from tickets.exceptions import InvalidTransition, NotAllowed
from tickets.models import Status, Ticket, Tier

CUSTOMER = "customer"
STAFF = "staff"
SYSTEM = "system"


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]
    # None keeps the status as it is (a reply on an open case).
    target: str | None
    actors: frozenset[str]
    raises_tier: bool = False


def _move(sources, target, actors, raises_tier=False) -> Move:
    return Move(frozenset(sources), target, frozenset(actors), raises_tier)


_WORKING = (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER)
_LIVE = (*_WORKING, Status.RESOLUTION_PROPOSED)

TRANSITIONS: dict[str, Move] = {
    # The customer writes: answering a request for information puts the case back to work.
    "customer_reply": _move((*_LIVE, Status.RESOLVED, Status.REJECTED), None, {CUSTOMER}),
    "customer_answer": _move((Status.PENDING_CUSTOMER,), Status.OPEN, {CUSTOMER}),
    "add_evidence": _move((*_LIVE, Status.RESOLVED, Status.REJECTED), None, {CUSTOMER, STAFF}),
    "staff_reply": _move((*_LIVE, Status.RESOLVED, Status.REJECTED), None, {STAFF}),
    "internal_note": _move((*_LIVE, Status.RESOLVED, Status.REJECTED), None, {STAFF}),
    "triage": _move((Status.NEW,), Status.OPEN, {STAFF, SYSTEM}),
    "request_info": _move((Status.NEW, Status.OPEN), Status.PENDING_CUSTOMER, {STAFF}),
    "propose_resolution": _move(_WORKING, Status.RESOLUTION_PROPOSED, {STAFF}),
    # A second person lets the customer see a proposal that waited for approval (four eyes).
    "approve_resolution": _move(_WORKING, Status.RESOLUTION_PROPOSED, {STAFF}),
    "accept_resolution": _move((Status.RESOLUTION_PROPOSED,), Status.RESOLVED, {CUSTOMER, SYSTEM}),
    "appeal": _move((Status.RESOLUTION_PROPOSED, Status.REJECTED), Status.OPEN, {CUSTOMER}, True),
    "reject": _move(_WORKING, Status.REJECTED, {STAFF}),
    "escalate": _move(_WORKING, Status.OPEN, {STAFF, SYSTEM}, True),
    "close": _move((Status.RESOLVED,), Status.CLOSED, {STAFF, SYSTEM}),
    # Working a case: none of these changes the status, except that taking a new case opens it.
    "claim": _move(_LIVE, None, {STAFF}),
    "assign": _move(_LIVE, None, {STAFF, SYSTEM}),
    "change_priority": _move(_LIVE, None, {STAFF}),
    "change_category": _move(_LIVE, None, {STAFF}),
    # The committee's published decision is final: the case becomes a read-only record.
    "decide": _move((Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER), Status.CLOSED, {SYSTEM}),
    "close_after_window": _move((Status.RESOLVED, Status.REJECTED), Status.CLOSED, {SYSTEM}),
    # A duplicate is closed into the case that carries on; its history stays readable.
    "merge": _move(_LIVE, Status.CLOSED, {STAFF}),
    # The final decision will be late: the customer is told why and when (tickets.regulator).
    "delay_notice": _move(_LIVE, None, {STAFF}),
}

TIER_ORDER = (Tier.SUPPORT, Tier.APPEAL_CENTER, Tier.DISPUTE_COMMITTEE)


def next_tier(tier: str) -> str | None:
    index = TIER_ORDER.index(tier)
    return TIER_ORDER[index + 1] if index + 1 < len(TIER_ORDER) else None


def check(ticket: Ticket, action: str, actor_kind: str) -> Move:
    """The move for `action`, or a domain error saying why it cannot happen now."""
    move = TRANSITIONS[action]
    if actor_kind not in move.actors:
        raise NotAllowed(_("You may not do this to a case."))
    if ticket.status == Status.CLOSED:
        raise InvalidTransition(_("This case is closed and can no longer change."))
    if ticket.status not in move.sources:
        raise InvalidTransition(
            _("This cannot be done while the case is “%(status)s”.")
            % {"status": ticket.get_status_display()}
        )
    if move.raises_tier and next_tier(ticket.tier) is None:
        raise InvalidTransition(_("The Dispute Committee is the last tier; its decision is final."))
    return move


def allowed_actions(ticket: Ticket, actor_kind: str) -> set[str]:
    """Actions the table allows now, for templates to decide which buttons to show."""
    allowed = set()
    for action in TRANSITIONS:
        try:
            check(ticket, action, actor_kind)
        except (InvalidTransition, NotAllowed):
            continue
        allowed.add(action)
    return allowed
