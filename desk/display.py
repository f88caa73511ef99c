"""How the desk shows deadlines and queue rows.

Shared by the desk's template tags (the workbench) and the queue, which works out every
row's display values once in Python: filters, model properties and `{% blocktranslate %}`
in each of 50 rows cost most of the page's time. Labels and the staff wording of a status
are in tickets.labels (the committee's pages use them too).
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from django.urls import reverse
from django.utils.translation import gettext

from accounts.models import Team
from desk.queue import BREACHING_SOON
from tickets.formatting import when_text
from tickets.labels import LABELS, staff_statuses
from tickets.models import Status, Ticket


def _span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return gettext("%(minutes)d min") % {"minutes": minutes}


def sla_countdown(due, now, *, paused_at=None, warn_at=None) -> dict:
    """A deadline as the queue and workbench show it: text and a red/amber/green class.

    "in 3 h 12 min", "overdue 25 min"; while the clock is paused the time left is the time
    that was left when it stopped. Amber from the policy's warning time, or within the
    queue's "breaching soon" window.
    """
    if due is None:
        return {"text": "—", "css": "sla-none"}
    left = (due - (paused_at or now)).total_seconds()
    if paused_at is not None:
        return {
            "text": gettext("paused, %(left)s left") % {"left": _span(left)}
            if left > 0
            else gettext("paused"),
            "css": "sla-paused",
        }
    if left < 0:
        return {"text": gettext("overdue %(time)s") % {"time": _span(left)}, "css": "sla-overdue"}
    soon = left < BREACHING_SOON.total_seconds() or (warn_at is not None and warn_at <= now)
    return {
        "text": gettext("in %(time)s") % {"time": _span(left)},
        "css": "sla-soon" if soon else "sla-ok",
    }


def queue_sla(ticket: Ticket, now: datetime) -> dict:
    """The SLA cell of a queue row: the next deadline, or why no clock runs."""
    if ticket.status == Status.PENDING_CUSTOMER or ticket.sla_paused_at:
        return {"text": gettext("paused"), "css": "sla-paused"}
    if ticket.status == Status.RESOLUTION_PROPOSED:
        return {"text": gettext("awaiting customer"), "css": "sla-paused"}
    return sla_countdown(ticket.escalation_due_at, now, warn_at=ticket.sla_warning_at)


class QueueRow(TypedDict):
    """One queue row's display values, in the language of the request.

    A dict, not an object: a template looks a name up as a key first, and on an object that
    first try fails with an exception, for each of some thirty values in each of 50 rows.
    """

    reference: str
    url: str
    select_label: str
    subject: str
    customer_name: str
    customer_email: str
    category: str
    priority: str
    priority_label: str
    status: str
    status_label: str
    tier_label: str
    assignee: str  # a display name, or "" when nobody is assigned
    team: str  # shown on unassigned rows only
    sla_text: str
    sla_css: str
    due: str  # the next deadline, "" when no clock runs
    breach_note: str  # "" when no deadline was missed


def queue_rows(tickets: list[Ticket], *, teams: list[Team], now: datetime) -> list[QueueRow]:
    # Each label and sentence is translated once for the page, not once per row.
    priorities = {value: str(label) for value, label in LABELS["priority"].items()}
    tiers = {value: str(label) for value, label in LABELS["tier"].items()}
    statuses = staff_statuses()
    # Links are this prefix plus the reference: reversing per row costs more than the row.
    ticket_base = reverse("staff:ticket", args=["-"]).removesuffix("-/")
    select = gettext("Select %(ref)s")
    missed = gettext("Deadline missed %(when)s")
    # Unassigned rows show their team: looked up in the one team list, not a query per row.
    team_names = {team.pk: team.label for team in teams}
    rows = []
    for ticket in tickets:
        sla = queue_sla(ticket, now)
        assignee = ticket.assignee
        rows.append(
            QueueRow(
                reference=ticket.reference,
                url=f"{ticket_base}{ticket.reference}/",
                select_label=select % {"ref": ticket.reference},
                subject=ticket.subject,
                customer_name=ticket.customer.display_name,
                customer_email=ticket.customer.email,
                category=ticket.category.name,
                priority=ticket.priority,
                priority_label=priorities.get(ticket.priority, ticket.priority),
                status=ticket.status,
                status_label=statuses.get(ticket.status, ticket.status),
                tier_label=tiers.get(ticket.tier, ticket.tier),
                assignee=assignee.display_name if assignee else "",
                team=team_names.get(ticket.team_id, ""),
                sla_text=sla["text"],
                sla_css=sla["css"],
                due=when_text(ticket.escalation_due_at) if ticket.escalation_due_at else "",
                breach_note=missed % {"when": when_text(ticket.last_breach_at)}
                if ticket.last_breach_at
                else "",
            )
        )
    return rows
