"""How a case's codes read to people: choice labels, a status in staff's words, the audit trail.

Shared by the desk's pages and the committee's (escalation), and kept here below both.
"""

from __future__ import annotations

from django.utils.translation import get_language, gettext, gettext_lazy

from accounts.models import Team, User
from sla.models import SLAPolicy, Target
from tickets.formatting import amount_text
from tickets.models import (
    Category,
    Channel,
    EventKind,
    Priority,
    ResolutionKind,
    Status,
    Ticket,
    Tier,
)

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


def name_for_customer(person, ticket: Ticket) -> str:
    """How someone on the case reads to its customer: never by an email address.

    Scammers pose as support, so staff are shown by the name an admin gave them (often a
    working name), or as "Support team"; the customer is shown by their own name.
    """
    if person is None:
        return gettext("Support team")
    if person.pk == ticket.customer_id:
        return person.display_name
    name = person.full_name.strip()
    return name if name and "@" not in name else gettext("Support team")


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
    "sha256": gettext_lazy("SHA-256 stored"),
    "resolution_kind": gettext_lazy("Kind"),
    "amount": gettext_lazy("Amount"),
    "asset": gettext_lazy("Asset"),
    "awaiting_approval": gettext_lazy("Waiting for approval"),
    "approved_by": gettext_lazy("Approved by"),
    "into": gettext_lazy("Merged into"),
    "merged": gettext_lazy("Absorbed"),
    "merged_into": gettext_lazy("Merged into"),
    "answer": gettext_lazy("Answer"),
    "decision": gettext_lazy("Decision"),
    "state": gettext_lazy("State"),
    "received_sha256": gettext_lazy("SHA-256 as received"),
    "reference_value": gettext_lazy("Value"),
    "reference_currency": gettext_lazy("Currency"),
    "unpriced": gettext_lazy("No reference price"),
    "correction": gettext_lazy("Admin's correction"),
}

# Codes the events record, in words (the reasons of a move, the answer to a proposal).
# Free text (a rejection's reason) is shown as written.
_CODES = {
    "reason": {
        "manual": gettext_lazy("by hand"),
        "appeal": gettext_lazy("the customer appealed"),
        "sla_breach": gettext_lazy("a deadline was missed"),
        "committee_decision": gettext_lazy("the Dispute Committee decided"),
        "appeal_window_ended": gettext_lazy("the appeal window ended"),
        "category changed": gettext_lazy("the category changed"),
    },
    "answer": {
        "accepted": gettext_lazy("accepted"),
        "accepted_by_timeout": gettext_lazy("accepted: no answer in time"),
    },
    "resolution_kind": dict(ResolutionKind.choices),
    "channel": dict(Channel.choices),
    "targets": dict(Target.choices),
}
_PEOPLE = ("assignee", "approved_by")  # emails in the data: shown by name


def add_event_codes(key: str, labels: dict) -> None:
    """Apps above tickets word their own codes (escalation: the panel's states, verdicts)."""
    _CODES.setdefault(key, {}).update(labels)


def _people(events) -> dict[str, str]:
    emails = {
        e.data[key]
        for e in events
        for key in (*_PEOPLE, "previous")
        if isinstance(e.data.get(key), str) and "@" in e.data[key]
    }
    if not emails:
        return {}
    return {u.email: u.display_name for u in User.objects.filter(email__in=emails)}


def _codes_of(events) -> dict[str, dict]:
    """The words for this page's codes: fixed ones, and the categories and teams named."""
    codes = {**_CODES, "priority": LABELS["priority"], "status": staff_statuses()}
    if any("category" in e.data for e in events):
        codes["category"] = {c.code: c.name for c in Category.objects.all()}
    if any("team" in e.data for e in events):
        codes["team"] = {t.code: t.label for t in Team.objects.all()}
    # The filing recorded the policy's English name; a Chinese page shows its Chinese one.
    if (get_language() or "").startswith("zh") and any("sla_policy" in e.data for e in events):
        codes["sla_policy"] = {p.name: p.label for p in SLAPolicy.objects.all()}
    return codes


def _event_details(event, codes: dict[str, dict], people: dict[str, str]) -> list[tuple[str, str]]:
    # "previous" is what changed before: a priority, a category or an assignee's email.
    previous_of = {EventKind.PRIORITY: "priority", EventKind.CATEGORY: "category"}
    details = []
    for key, label in _EVENT_DATA_LABELS.items():
        value = event.data.get(key)
        if value in (None, "", [], {}, False):
            continue
        words = codes.get(previous_of.get(event.kind, "") if key == "previous" else key, {})
        if value is True:
            value = ""
        elif key == "amount":
            value = amount_text(value)  # events written before amounts were trimmed
        elif isinstance(value, list):
            value = ", ".join(str(words.get(item, item)) for item in value)
        elif isinstance(value, str) and value in people:
            value = people[value]
        else:
            value = words.get(value, value)
        details.append((label, str(value)))
    return details


def staff_timeline(events) -> list[dict]:
    """The audit trail as staff read it: their wording of a status, names and labels for
    the codes and emails recorded, in the request's language."""
    events = list(events)
    codes, people = _codes_of(events), _people(events)
    statuses, tiers = codes["status"], LABELS["tier"]
    rows = []
    for event in events:
        changes = []
        if event.to_status and event.to_status != event.from_status:
            moved = (event.from_status, event.to_status)
            changes.append(" → ".join(str(statuses.get(s, s)) for s in moved if s))
        if event.to_tier and event.from_tier != event.to_tier:
            moved = (event.from_tier, event.to_tier)
            changes.append(" → ".join(str(tiers.get(t, t)) for t in moved if t))
        rows.append(
            {
                "event": event,
                "change": "; ".join(changes),
                "details": _event_details(event, codes, people),
            }
        )
    return rows
