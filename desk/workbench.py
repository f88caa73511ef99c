"""The case workbench: one case with everything staff may do to it now.

Every action is one service call through `_act`, which shows the form again as typed when
the service refuses. Which actions appear is decided by the transition table; the
services enforce it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from accounts.access import staff_page
from accounts.models import User
from desk import assignees, canned, presence
from desk.forms import (
    AssignForm,
    CategoryForm,
    ClaimForm,
    DelayNoticeForm,
    EscalateForm,
    MergeForm,
    MessageForm,
    PriorityForm,
    ProposeResolutionForm,
    RejectForm,
    ReplyForm,
)
from escalation import services as lifecycle
from sla.models import Target
from tickets import selectors, services
from tickets.labels import event_details
from tickets.models import EvidenceField, Resolution, Ticket
from tickets.transitions import STAFF, allowed_actions
from tickets.web import add_service_errors, go


@dataclass(frozen=True)
class Action:
    """A workbench action: its URL name and form prefix, the move it needs, its form."""

    name: str
    transition: str
    form: type[forms.Form]
    title: Promise
    button: Promise
    danger: bool = False

    @property
    def url_name(self) -> str:
        return f"staff:{self.name}"


CLAIM = Action("claim", "claim", ClaimForm, gettext_lazy("Claim"), gettext_lazy("Claim"))
REPLY = Action(
    "reply",
    "staff_reply",
    ReplyForm,
    gettext_lazy("Reply to the customer"),
    gettext_lazy("Send reply"),
)
NOTE = Action(
    "note", "internal_note", ReplyForm, gettext_lazy("Internal note"), gettext_lazy("Add note")
)
REQUEST_INFO = Action(
    "request_info",
    "request_info",
    MessageForm,
    gettext_lazy("Ask for information"),
    gettext_lazy("Ask and wait for the customer"),
)
ASSIGN = Action("assign", "assign", AssignForm, gettext_lazy("Assign"), gettext_lazy("Assign"))
PRIORITY = Action(
    "priority",
    "change_priority",
    PriorityForm,
    gettext_lazy("Priority"),
    gettext_lazy("Change priority"),
)
CATEGORY = Action(
    "category",
    "change_category",
    CategoryForm,
    gettext_lazy("Category"),
    gettext_lazy("Change category"),
)
PROPOSE = Action(
    "propose",
    "propose_resolution",
    ProposeResolutionForm,
    gettext_lazy("Propose a resolution"),
    gettext_lazy("Propose"),
)
ESCALATE = Action(
    "escalate",
    "escalate",
    EscalateForm,
    gettext_lazy("Escalate"),
    gettext_lazy("Escalate to the next tier"),
)
REJECT = Action(
    "reject",
    "reject",
    RejectForm,
    gettext_lazy("Reject"),
    gettext_lazy("Reject the complaint"),
    danger=True,
)
MERGE = Action(
    "merge",
    "merge",
    MergeForm,
    gettext_lazy("Merge as a duplicate"),
    gettext_lazy("Merge and close this case"),
    danger=True,
)
DELAY_NOTICE = Action(
    "delay_notice",
    "delay_notice",
    DelayNoticeForm,
    gettext_lazy("Delay notice"),
    gettext_lazy("Send the delay notice"),
)
COMPOSE_ACTIONS = (REPLY, NOTE, REQUEST_INFO)
SIDE_ACTIONS = (ASSIGN, PRIORITY, CATEGORY, PROPOSE, ESCALATE, DELAY_NOTICE, REJECT, MERGE)


def _sla_timers(ticket: Ticket) -> list[dict]:
    """Each deadline of the current tier: when it is due and where it stands."""
    breached = set(ticket.sla_breached)
    if not ticket.is_open:
        clock = "stopped"
    elif ticket.sla_paused_at or not ticket.desk_owes_reply:
        clock = "paused"
    else:
        clock = "running"

    def timer(target, due, done_at=None) -> dict:
        if target in breached:
            state = "breached"
        elif done_at:
            state = "met"
        elif due is None:
            state = "none"
        else:
            state = clock
        return {"target": target, "label": target.label, "due": due, "at": done_at, "state": state}

    return [
        timer(Target.FIRST_RESPONSE, ticket.first_response_due_at, ticket.first_responded_at),
        timer(Target.NEXT_RESPONSE, ticket.next_response_due_at),
        timer(Target.RESOLUTION, ticket.resolution_due_at, ticket.resolved_at),
    ]


def _ticket(request, reference: str) -> Ticket:
    try:
        return (
            selectors.tickets_visible_to(request.user)
            .select_related("customer__customer_profile", "filed_by", "merged_into", "sla_policy")
            .get(reference=reference.upper())
        )
    except Ticket.DoesNotExist:
        raise Http404 from None


def _initial(action: Action, ticket: Ticket, newest_message: int) -> dict:
    if action in COMPOSE_ACTIONS:
        return {"seen": newest_message}
    if action is PRIORITY:
        return {"priority": ticket.priority}
    if action is CATEGORY:
        return {"category": ticket.category.code}
    return {}


def _workbench_context(request, ticket: Ticket, *, failed=None, stale=()) -> dict:
    """Everything the workbench shows; `failed` is (action, bound form) to show again."""
    user = request.user
    conversation = list(selectors.ticket_messages_for(user, ticket))
    newest = max((m.pk for m in conversation), default=0)
    allowed = allowed_actions(ticket, STAFF)
    forms_by_name = {
        action.name: action.form(prefix=action.name, initial=_initial(action, ticket, newest))
        for action in (*COMPOSE_ACTIONS, *SIDE_ACTIONS)
        if action.transition in allowed
    }
    if failed:
        forms_by_name[failed[0].name] = failed[1]
    events = list(selectors.ticket_events_for(user, ticket))
    return {
        "ticket": ticket,
        "now": timezone.now(),
        "conversation": conversation,
        "newest_message": newest,
        "attachments": selectors.ticket_attachments_for(user, ticket),
        "timeline": [(event, event_details(event)) for event in events],
        "sla_timers": _sla_timers(ticket),
        "sla_records": ticket.sla_records.order_by("at", "id"),
        "proposal": ticket.resolutions.filter(state=Resolution.State.PROPOSED)
        .select_related("asset", "proposed_by")
        .first(),
        "merged": ticket.merged.only("reference", "subject"),
        "delay_notices": ticket.delay_notices.select_related("recorded_by"),
        "other_cases": Ticket.objects.filter(customer_id=ticket.customer_id)
        .exclude(pk=ticket.pk)
        .select_related("category")
        .order_by("-created_at")[:20],
        "evidence_fields": [
            (field.value, field.label, getattr(ticket, field.value))
            for field in EvidenceField
            if getattr(ticket, field.value) not in (None, "")
        ],
        "customer_language": dict(settings.LANGUAGES).get(canned.customer_language(ticket), ""),
        "can_claim": CLAIM.transition in allowed and ticket.assignee_id != user.pk,
        # The stale-message warning belongs to the form that was sent, not its neighbours.
        "compose": [
            (a, forms_by_name[a.name], stale if failed and failed[0] is a else ())
            for a in COMPOSE_ACTIONS
            if a.name in forms_by_name
        ],
        "side_actions": [
            (a, forms_by_name[a.name]) for a in SIDE_ACTIONS if a.name in forms_by_name
        ],
        "failed_action": failed[0].name if failed else "",
        "canned_replies": canned.canned_replies(),
        "staff_members": assignees.staff_members(),
        "viewers": presence.presence_heartbeat(ticket_id=ticket.pk, user=user),
        "heartbeat": presence.HEARTBEAT_SECONDS,
    }


@staff_page
@require_GET
def ticket_workbench(request, reference):
    ticket = _ticket(request, reference)
    return render(request, "staff/ticket.html", _workbench_context(request, ticket))


def _written_since(ticket: Ticket, seen: int | None, reader: User) -> list:
    """Messages someone else added after the newest one the agent had on screen."""
    if seen is None:
        return []
    return list(
        ticket.messages.filter(pk__gt=seen)
        .exclude(author=reader)
        .select_related("author")
        .order_by("pk")
    )


def _act(request, reference: str, action: Action, call, done: str, *, check_stale=False):
    """Run one action's service with its form; on a refusal show the form again, as typed."""
    ticket = _ticket(request, reference)
    form = action.form(request.POST, request.FILES, prefix=action.name)
    stale = []
    if form.is_valid():
        data = form.cleaned_data
        if check_stale and not data["confirm_stale"]:
            stale = _written_since(ticket, data["seen"], request.user)
        if not stale:
            try:
                call(ticket, data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, done)
                return go(request, reverse("staff:ticket", args=[ticket.reference]))
        else:
            # What the agent has now seen: only a message newer than these warns again.
            form.data = form.data.copy()
            form.data[form.add_prefix("seen")] = str(stale[-1].pk)
    if request.htmx:
        context = {
            "ticket": ticket,
            "action": action,
            "form": form,
            "stale": stale,
            "canned_replies": canned.canned_replies(),
            "staff_members": assignees.staff_members(),
        }
        template = (
            "staff/partials/_compose_body.html"
            if action in COMPOSE_ACTIONS
            else "staff/partials/_action_body.html"
        )
        return render(request, template, context)
    context = _workbench_context(request, ticket, failed=(action, form), stale=stale)
    return render(request, "staff/ticket.html", context, status=409 if stale else 400)


@staff_page
@require_POST
def ticket_claim(request, reference):
    return _act(
        request,
        reference,
        CLAIM,
        lambda ticket, data: services.ticket_claim(ticket=ticket, actor=request.user),
        _("The case is yours."),
    )


@staff_page
@require_POST
def ticket_assign(request, reference):
    return _act(
        request,
        reference,
        ASSIGN,
        lambda ticket, data: services.ticket_assign(
            ticket=ticket,
            actor=request.user,
            assignee=data["assignee"].strip() or None,
            team=data["team"],
        ),
        _("The case is assigned."),
    )


@staff_page
@require_POST
@sensitive_post_parameters()
def ticket_reply(request, reference):
    return _act(
        request,
        reference,
        REPLY,
        lambda ticket, data: services.ticket_add_message(
            ticket=ticket, author=request.user, body=data["body"], files=data["files"]
        ),
        _("Your reply is sent to the customer."),
        check_stale=True,
    )


@staff_page
@require_POST
@sensitive_post_parameters()
def ticket_note(request, reference):
    return _act(
        request,
        reference,
        NOTE,
        lambda ticket, data: services.ticket_add_message(
            ticket=ticket,
            author=request.user,
            body=data["body"],
            internal=True,
            files=data["files"],
        ),
        _("Internal note added. The customer does not see it."),
        check_stale=True,
    )


@staff_page
@require_POST
@sensitive_post_parameters()
def ticket_request_info(request, reference):
    return _act(
        request,
        reference,
        REQUEST_INFO,
        lambda ticket, data: services.ticket_request_info(
            ticket=ticket, actor=request.user, body=data["body"]
        ),
        _("Question sent. The case waits for the customer; the clock is paused."),
        check_stale=True,
    )


@staff_page
@require_POST
def ticket_reject(request, reference):
    return _act(
        request,
        reference,
        REJECT,
        lambda ticket, data: services.ticket_reject(
            ticket=ticket, actor=request.user, reason=data["reason"]
        ),
        _("The complaint is rejected; the customer sees your reason and may appeal."),
    )


@staff_page
@require_POST
def ticket_propose(request, reference):
    return _act(
        request,
        reference,
        PROPOSE,
        lambda ticket, data: services.ticket_propose_resolution(
            ticket=ticket,
            actor=request.user,
            kind=data["kind"],
            summary=data["summary"],
            amount=data["amount"] or None,
            asset=data["asset"] or None,
        ),
        _("Resolution proposed. The customer can accept or dispute it."),
    )


@staff_page
@require_POST
def ticket_escalate(request, reference):
    return _act(
        request,
        reference,
        ESCALATE,
        lambda ticket, data: lifecycle.ticket_escalate(
            ticket=ticket, actor=request.user, reason=data["reason"]
        ),
        _("The case moved up a tier."),
    )


@staff_page
@require_POST
def ticket_priority(request, reference):
    return _act(
        request,
        reference,
        PRIORITY,
        lambda ticket, data: services.ticket_change_priority(
            ticket=ticket, actor=request.user, priority=data["priority"], reason=data["reason"]
        ),
        _("Priority changed."),
    )


@staff_page
@require_POST
def ticket_category(request, reference):
    return _act(
        request,
        reference,
        CATEGORY,
        lambda ticket, data: services.ticket_change_category(
            ticket=ticket, actor=request.user, category=data["category"], reason=data["reason"]
        ),
        _("Category changed."),
    )


@staff_page
@require_POST
def ticket_delay_notice(request, reference):
    return _act(
        request,
        reference,
        DELAY_NOTICE,
        lambda ticket, data: services.ticket_record_delay_notice(
            ticket=ticket,
            actor=request.user,
            reason=data["reason"],
            expected_by=data["expected_by"],
        ),
        _("Delay notice sent to the customer."),
    )


def _merge(actor: User, ticket: Ticket, into_reference: str) -> Ticket:
    into = Ticket.objects.filter(reference=into_reference).first()
    if into is None:
        raise ValidationError({"into": _("There is no case with this reference.")})
    return services.ticket_merge(ticket=ticket, actor=actor, into=into)


@staff_page
@require_POST
def ticket_merge(request, reference):
    return _act(
        request,
        reference,
        MERGE,
        lambda ticket, data: _merge(request.user, ticket, data["into"]),
        _("Merged and closed as a duplicate."),
    )


@staff_page
@require_GET
def ticket_presence(request, reference):
    """The heartbeat: I am looking at this case; who else is?"""
    ticket_id = (
        Ticket.objects.filter(reference=reference.upper()).values_list("pk", flat=True).first()
    )
    if ticket_id is None:
        raise Http404
    viewers = presence.presence_heartbeat(ticket_id=ticket_id, user=request.user)
    return render(request, "staff/partials/_presence.html", {"viewers": viewers})


@staff_page
@require_GET
def ticket_canned(request, reference):
    """The reply box with a canned reply filled in for this case, after what was typed."""
    ticket = _ticket(request, reference)
    form = ReplyForm(request.GET, prefix=REPLY.name)
    form.is_valid()
    typed = form.cleaned_data.get("body", "")
    chosen_id = request.GET.get("canned", "")
    chosen = canned.canned_replies().filter(pk=chosen_id).first() if chosen_id.isdigit() else None
    body = typed
    if chosen is not None:
        text = canned.render_canned(chosen, ticket)
        body = f"{typed.rstrip()}\n\n{text}" if typed.strip() else text
    data = request.GET.copy()
    data[form.add_prefix("body")] = body
    form = ReplyForm(data, prefix=REPLY.name)
    context = {
        "ticket": ticket,
        "action": REPLY,
        "form": form,
        "stale": [],
        "canned_replies": canned.canned_replies(),
    }
    return render(request, "staff/partials/_compose_body.html", context)
