"""Which staff role may take which action at which tier: the rule, written down once.

transitions.py says what may happen to a case in its state, whoever asks; this says who on
the staff may do it at the case's tier (DESIGN.md, "Who uses it"). The services check both
(`require`); the workbench, the customer's page, the queue's bulk actions and the API ask
`allowed` only to decide what to show.

    tier                works it          also
    support             agents            appeal officers approve compensation (four eyes)
    appeal center       appeal officers   appeal officers approve compensation (four eyes)
    dispute committee   nobody            the panel's members vote; the system publishes
                                          the majority's decision (escalation.services)

Admins may correct a case at any tier: everything the tier's own staff may do at support and
the appeal center, and at the committee everything except what would decide the outcome in
the panel's place (proposing a resolution, rejecting, escalating). An admin acting at a tier
whose role they do not hold is making a correction, and the action's audit events say so
(`"correction": true` in their data, tickets.services._record).

Customers are not in this table: they act on their own cases at every tier, as far as the
transition table lets a customer (reply, add evidence, answer a proposal, appeal).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts import roles
from tickets.exceptions import NotAllowed
from tickets.models import Tier

# Working a case: the staff moves of the transition table.
WORK = frozenset(
    {
        "staff_reply",
        "internal_note",
        "add_evidence",
        "triage",
        "request_info",
        "propose_resolution",
        "reject",
        "escalate",
        "close",
        "claim",
        "assign",
        "change_priority",
        "change_category",
        "merge",
        # Telling the customer the final decision takes longer (the regulator's clock).
        "delay_notice",
        # Taking a complaint by phone or social media files a support case for the customer.
        "file_for_customer",
    }
)
APPROVE = "approve_resolution"
VOTE = "vote"
# What decides a case's outcome: at the committee only the panel does that.
OUTCOMES = frozenset({"propose_resolution", "reject", "escalate", APPROVE})
ACTIONS = WORK | {APPROVE, VOTE}

# tier -> action -> the roles that take it as their own work.
RULE: dict[str, dict[str, frozenset[str]]] = {
    Tier.SUPPORT: {
        **dict.fromkeys(WORK, frozenset({roles.AGENT})),
        APPROVE: frozenset({roles.APPEAL_OFFICER}),
    },
    Tier.APPEAL_CENTER: {
        **dict.fromkeys(WORK, frozenset({roles.APPEAL_OFFICER})),
        APPROVE: frozenset({roles.APPEAL_OFFICER}),
    },
    Tier.DISPUTE_COMMITTEE: {VOTE: frozenset({roles.COMMITTEE})},
}

# tier -> what an admin may do there as a correction.
CORRECTIONS: dict[str, frozenset[str]] = {
    Tier.SUPPORT: WORK | {APPROVE},
    Tier.APPEAL_CENTER: WORK | {APPROVE},
    Tier.DISPUTE_COMMITTEE: WORK - OUTCOMES,
}


@dataclass(frozen=True)
class Grant:
    """Why someone may take an action: in the role that works the tier, or as a correction."""

    role: str
    correction: bool


def is_admin(user) -> bool:
    return user.is_authenticated and (user.is_superuser or roles.has_role(user, roles.ADMIN))


def grant(user, tier: str, action: str) -> Grant | None:
    """How `user` may take `action` on a case at `tier`, or None if they may not."""
    if not user.is_authenticated:
        return None
    for role in RULE[tier].get(action, ()):
        if roles.has_role(user, role):
            return Grant(role, correction=False)
    if action in CORRECTIONS[tier] and is_admin(user):
        return Grant(roles.ADMIN, correction=True)
    return None


def _refusal(tier: str, action: str) -> str:
    if action == APPROVE:
        return _("Only appeal officers and admins approve compensation, below the committee.")
    if action == VOTE:
        return _("Only members of this case's panel vote on it.")
    if tier == Tier.SUPPORT:
        return _("Support cases are worked by agents.")
    if tier == Tier.APPEAL_CENTER:
        return _("Appeal Center cases are worked by appeal officers.")
    return _(
        "At the Dispute Committee only the panel votes and the system publishes its decision; "
        "admins may correct the case, not decide it."
    )


def require(user, tier: str, action: str) -> Grant:
    """The grant for `action`, or NotAllowed saying who works this tier."""
    granted = grant(user, tier, action)
    if granted is None:
        raise NotAllowed(_refusal(tier, action))
    return granted


def allowed(user, tier: str, actions) -> dict[str, Grant]:
    """Which of `actions` `user` may take at `tier`, and how (for pages deciding what to show)."""
    granted = {action: grant(user, tier, action) for action in actions}
    return {action: g for action, g in granted.items() if g is not None}


def works_anywhere(user, action: str) -> bool:
    """May `user` take `action` at any tier at all (the queue's bulk bar asks this)?"""
    return any(grant(user, tier, action) is not None for tier in RULE)
