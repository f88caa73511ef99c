"""How a case's codes read to people: choice labels, a status in staff's words, event details.

Shared by the desk's pages and the committee's (escalation), and kept here below both.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy

from tickets.formatting import amount_text
from tickets.models import Priority, Status, Ticket, Tier

# Built once per process: `get_FOO_display` rebuilds its lookup on every call.
LABELS = {
    "priority": dict(Priority.choices),
    "tier": dict(Tier.choices),
    "status": dict(Status.choices),
}


def staff_statuses() -> dict[str, str]:
    """Each status as the desk says it, in the request's language: the customer's "Waiting
    for you" is staff's wait on them."""
    statuses = {value: str(label) for value, label in LABELS["status"].items()}
    statuses[Status.PENDING_CUSTOMER] = gettext("Waiting on customer")
    return statuses


def staff_status(ticket: Ticket) -> str:
    return staff_statuses().get(ticket.status, ticket.status)


# What the audit events' data holds, labelled for the timeline; other keys are ids.
_EVENT_DATA_LABELS = {
    "reason": gettext_lazy("Reason"),
    "note": gettext_lazy("Note"),
    "targets": gettext_lazy("Deadlines"),
    "assignee": gettext_lazy("Assignee"),
    "team": gettext_lazy("Team"),
    "previous": gettext_lazy("Before"),
    "claimed": gettext_lazy("Claimed"),
    "round_robin": gettext_lazy("Round-robin"),
    "priority": gettext_lazy("Priority"),
    "category": gettext_lazy("Category"),
    "channel": gettext_lazy("Channel"),
    "sla_policy": gettext_lazy("SLA policy"),
    "name": gettext_lazy("File"),
    "sha256": "SHA-256",
    "resolution_kind": gettext_lazy("Kind"),
    "amount": gettext_lazy("Amount"),
    "asset": gettext_lazy("Asset"),
    "into": gettext_lazy("Merged into"),
    "merged": gettext_lazy("Absorbed"),
    "merged_into": gettext_lazy("Merged into"),
    "answer": gettext_lazy("Answer"),
    "approved_by": gettext_lazy("Approved by"),
    "decision": gettext_lazy("Decision"),
    "state": gettext_lazy("State"),
}


def event_details(event) -> list[tuple[str, str]]:
    details = []
    for key, label in _EVENT_DATA_LABELS.items():
        value = event.data.get(key)
        if value in (None, "", [], {}, False):
            continue
        if value is True:
            value = ""
        elif key == "amount":
            value = amount_text(value)  # events written before amounts were trimmed
        elif isinstance(value, list):
            value = ", ".join(map(str, value))
        details.append((label, str(value)))
    return details
