"""The customer's case page, and the parts of it that apps above tickets add.

The committee's decision belongs to escalation, which imports tickets, so this page cannot
ask for it directly. Instead such an app registers a part at start-up (its
AppConfig.ready): a function of the request and the case that returns the context of its
template (with the template's name under "template"), or None when it has nothing to
show. The page shows every part, in the order they were added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tickets import selectors
from tickets.forms import AppealForm, ReplyForm
from tickets.models import EvidenceField, Status, Ticket
from tickets.transitions import CUSTOMER, allowed_actions

Part = Callable[[HttpRequest, Ticket], dict | None]
_parts: list[Part] = []


def add_part(part: Part) -> Part:
    _parts.append(part)
    return part


@dataclass(frozen=True)
class TimeNote:
    """The one thing about time the case page tells the customer first."""

    label: Promise
    moment: datetime | None = None
    element_id: str = ""
    detail: Promise | None = None


def time_note(ticket: Ticket) -> TimeNote:
    """What is due now, or, once nothing runs, what happened last.

    A deadline is shown only while it runs: the due times stay on a closed case as its
    record, so "first reply due" must not be read off them alone.
    """
    if ticket.status == Status.PENDING_CUSTOMER:
        return TimeNote(
            _("We are waiting for your answer."),
            detail=_("The clock is paused until you reply."),
        )
    if ticket.desk_owes_reply and ticket.sla_paused_at is None:
        if ticket.first_responded_at is None and ticket.first_response_due_at:
            return TimeNote(
                _("First reply due by"), ticket.first_response_due_at, "first-response-due"
            )
        if ticket.next_response_due_at:
            return TimeNote(
                _("Next reply due by"), ticket.next_response_due_at, "next-response-due"
            )
    if ticket.status == Status.RESOLUTION_PROPOSED and ticket.lifecycle_due_at:
        return TimeNote(_("Please answer our proposal by"), ticket.lifecycle_due_at)
    if ticket.status == Status.RESOLVED and ticket.resolved_at:
        return TimeNote(_("Resolved"), ticket.resolved_at)
    if ticket.status == Status.REJECTED and ticket.lifecycle_due_at:
        return TimeNote(_("Rejected; you can appeal until"), ticket.lifecycle_due_at)
    if ticket.status == Status.CLOSED and ticket.closed_at:
        return TimeNote(_("Closed"), ticket.closed_at)
    return TimeNote(_("Filed"), ticket.created_at)


def case_context(request, ticket: Ticket, *, reply_form=None, appeal_form=None) -> dict:
    """The page as the case's customer sees it, whoever reads it.

    Staff reach it as the workbench's "Customer's view": it must show exactly what the
    customer sees (no internal note, no internal event), so every read is made as the
    customer, and its forms are only shown, never usable by staff from here.
    """
    customer = ticket.customer
    parts = [context for part in _parts if (context := part(request, ticket)) is not None]
    return {
        "preview": request.user.pk != ticket.customer_id,
        "parts": parts,
        "time_note": time_note(ticket),
        "proposal": selectors.open_proposal(ticket),
        "appeal_form": appeal_form or AppealForm(),
        "ticket": ticket,
        "conversation": selectors.ticket_messages_for(customer, ticket),
        "attachments": selectors.ticket_attachments_for(customer, ticket),
        "events": selectors.ticket_events_for(customer, ticket),
        "delay_notices": ticket.delay_notices.all(),
        "reply_form": reply_form or ReplyForm(),
        "actions": allowed_actions(ticket, CUSTOMER),
        "evidence_fields": [
            (field.value, field.label, getattr(ticket, field.value))
            for field in EvidenceField
            if getattr(ticket, field.value) not in (None, "")
        ],
    }


def case_page(request, ticket: Ticket, *, status: int = 200, **forms) -> HttpResponse:
    """The page, with forms that failed shown again as typed (`reply_form`, `appeal_form`)."""
    return render(
        request, "tickets/detail.html", case_context(request, ticket, **forms), status=status
    )
