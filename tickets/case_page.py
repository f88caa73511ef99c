"""The customer's case page, and the parts of it that apps above tickets add.

The committee's decision belongs to escalation, which imports tickets, so this page cannot
ask for it directly. Instead such an app registers a part at start-up (its
AppConfig.ready): a function of the request and the case that returns the context of its
template (with the template's name under "template"), or None when it has nothing to
show. The page shows every part, in the order they were added.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tickets import selectors
from tickets.forms import AppealForm, ReplyForm
from tickets.models import EvidenceField, Ticket
from tickets.transitions import CUSTOMER, STAFF, allowed_actions

Part = Callable[[HttpRequest, Ticket], dict | None]
_parts: list[Part] = []


def add_part(part: Part) -> Part:
    _parts.append(part)
    return part


def case_context(request, ticket: Ticket, *, reply_form=None, appeal_form=None) -> dict:
    user = request.user
    actor = STAFF if ticket.customer_id != user.pk else CUSTOMER
    parts = [context for part in _parts if (context := part(request, ticket)) is not None]
    return {
        "parts": parts,
        "proposal": selectors.open_proposal(ticket),
        "appeal_form": appeal_form or AppealForm(),
        "ticket": ticket,
        "conversation": selectors.ticket_messages_for(user, ticket),
        "attachments": selectors.ticket_attachments_for(user, ticket),
        "events": selectors.ticket_events_for(user, ticket),
        "delay_notices": ticket.delay_notices.all(),
        "reply_form": reply_form or ReplyForm(),
        "actions": allowed_actions(ticket, actor),
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
