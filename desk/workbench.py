"""The case workbench: one case with everything staff may do to it now.

Every action is one service call through `_act`, which shows the form again as typed when
the service refuses. Which actions appear is decided by the transition table and by who
works the case's tier (tickets.authority); the services enforce both again. A supervisor
asking for a case outside their scope is offered to open it anyway, which is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
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
    OpenAnywayForm,
    PriorityForm,
    ProposeResolutionForm,
    RejectForm,
    ReplyForm,
)
from escalation import services as lifecycle
from helpcenter import selectors as help_selectors
from mail import selectors as mail_selectors
from sla.models import Target
from tickets import authority, selectors, services, web
from tickets.exceptions import NotAllowed
from tickets.formatting import amount_text
from tickets.labels import staff_timeline
from tickets.models import EventKind, EvidenceField, Resolution, Ticket
from tickets.transitions import STAFF, allowed_actions
from tickets.web import add_service_errors, go

STOP_POLLING = 286  # htmx's status code for "stop polling"


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


def _grants(user: User, ticket: Ticket) -> dict[str, authority.Grant]:
    """The staff moves the case allows now that `user` may take at its tier, and how."""
    return authority.allowed(user, ticket.tier, allowed_actions(ticket, STAFF))


def _sent_back(ticket: Ticket) -> dict | None:
    """The latest proposal, if the second person sent it back: what, by whom and why."""
    latest = ticket.resolutions.select_related("asset").order_by("-created_at", "-id").first()
    if latest is None or latest.state != Resolution.State.SENT_BACK:
        return None
    event = (
        ticket.events.filter(kind=EventKind.SENT_BACK)
        .select_related("actor")
        .order_by("-id")
        .first()
    )
    return {
        "resolution": latest,
        "by": event.actor if event else None,
        "reason": event.data.get("reason", "") if event else "",
    }


def _initial(action: Action, ticket: Ticket, newest_message: int, sent_back=None) -> dict:
    if action in COMPOSE_ACTIONS:
        return {"seen": newest_message}
    if action is PROPOSE and sent_back:
        # The author changes what was sent back rather than typing it all again.
        resolution = sent_back["resolution"]
        return {
            "kind": resolution.kind,
            "summary": resolution.summary,
            "amount": amount_text(resolution.amount, resolution.asset),
            "asset": resolution.asset.code if resolution.asset_id else "",
        }
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
    grants = _grants(user, ticket)
    allowed = set(grants)
    sent_back = _sent_back(ticket)
    forms_by_name = {
        action.name: action.form(
            prefix=action.name, initial=_initial(action, ticket, newest, sent_back)
        )
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
        "timeline": staff_timeline(events),
        "sla_timers": _sla_timers(ticket),
        "sla_records": ticket.sla_records.order_by("at", "id"),
        "proposal": ticket.resolutions.filter(state=Resolution.State.PROPOSED)
        .select_related("asset", "proposed_by")
        .first(),
        # The live chat the case began as: its page has the whole conversation and notes.
        "chats": ticket.chats.only("pk", "created_at").order_by("created_at"),
        "merged": Ticket.objects.filter(selectors.case_scope(user), merged_into=ticket).only(
            "reference", "subject"
        ),
        "bounce": mail_selectors.bounce_for(ticket.customer.email),
        "sent_back": sent_back,
        "delay_notices": ticket.delay_notices.select_related("recorded_by"),
        "other_cases": selectors.tickets_visible_to(user)
        .filter(customer_id=ticket.customer_id)
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
        # An admin working a tier that is not theirs: every action is a recorded correction.
        "correcting": any(g.correction for g in grants.values()),
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
        "help_articles": canned.help_articles(ticket),
        "articles_read": help_selectors.articles_read_before_filing(ticket.pk),
        "staff_members": assignees.staff_members(),
        "viewers": presence.presence_heartbeat(ticket_id=ticket.pk, user=user),
        "heartbeat": presence.heartbeat_seconds(),
    }


@staff_page
@require_GET
def ticket_workbench(request, reference):
    outside = selectors.ticket_outside_scope(request.user, reference)
    if outside is not None:
        return _open_anyway_page(request, outside, OpenAnywayForm())
    ticket = _ticket(request, reference)
    return render(request, "staff/ticket.html", _workbench_context(request, ticket))


@staff_page
@require_POST
def ticket_open_anyway(request, reference):
    """A supervisor opens a case outside their scope; the audit trail records it and why."""
    ticket = selectors.ticket_outside_scope(request.user, reference)
    if ticket is None:
        # Already theirs to read, or not a supervisor (then it is a 404 as any other case).
        return go(request, reverse("staff:ticket", args=[_ticket(request, reference).reference]))
    form = OpenAnywayForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_open_anyway(
                ticket=ticket, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.warning(
                request,
                _("You opened %(ref)s outside your teams and tiers; its audit trail says so.")
                % {"ref": ticket.reference},
            )
            return go(request, reverse("staff:ticket", args=[ticket.reference]))
    return _open_anyway_page(request, ticket, form, status=400)


def _open_anyway_page(request, ticket: Ticket, form: OpenAnywayForm, status: int = 200):
    # 200, not 403: the page is an offer to a supervisor, not a refusal.
    context = {"ticket": ticket, "form": form, "open_anyway_hours": selectors.OPEN_ANYWAY_HOURS}
    return render(request, "staff/open_anyway.html", context, status=status)


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


def _after(user: User, ticket: Ticket) -> str:
    """Back to the case, or to the queue when the action took it out of the user's scope
    (an agent's escalation hands it to the appeal center)."""
    if selectors.tickets_visible_to(user).filter(pk=ticket.pk).exists():
        return reverse("staff:ticket", args=[ticket.reference])
    return reverse("staff:queue")


def _act(request, reference: str, action: Action, call, done, *, check_stale=False, confirm=None):
    """Run one action's service with its form; on a refusal show the form again, as typed.

    `done` says what happened: a sentence, or a function of what the service returned
    when that depends on the outcome. An action that cannot be undone takes two steps:
    `confirm(ticket, data)` says what will happen (or refuses), the agent reads it and
    says yes, and only then the service runs.
    """
    ticket = _ticket(request, reference)
    form = action.form(request.POST, request.FILES, prefix=action.name)
    stale, confirming = [], None
    if form.is_valid():
        data = form.cleaned_data
        if check_stale and not data["confirm_stale"]:
            stale = _written_since(ticket, data["seen"], request.user)
        if confirm is not None and not data["confirmed"]:
            # Nobody is asked to confirm what they may not do: the service would refuse it.
            if action.transition not in _grants(request.user, ticket):
                raise NotAllowed(_("You may not do this to this case."))
            try:
                confirming = confirm(ticket, data)
            except ValidationError as error:
                add_service_errors(form, error)
        elif not stale:
            try:
                result = call(ticket, data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, done(result) if callable(done) else done)
                return go(request, _after(request.user, ticket))
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
            "confirming": confirming,
            "failed_action": action.name,
            "canned_replies": canned.canned_replies(),
            "help_articles": canned.help_articles(ticket),
            "staff_members": assignees.staff_members(),
        }
        template = (
            "staff/partials/_compose_body.html"
            if action in COMPOSE_ACTIONS
            else "staff/partials/_action_body.html"
        )
        return web.fragment(request, template, context)
    context = _workbench_context(request, ticket, failed=(action, form), stale=stale)
    if confirming is not None:
        context["confirming"] = confirming
        return render(request, "staff/ticket.html", context)
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
        confirm=_confirm_reject,
    )


def _confirm_reject(ticket: Ticket, data: dict) -> dict:
    reason = data["reason"].strip()
    if not reason:
        raise ValidationError({"reason": _("Tell the customer why.")})
    return {"reason": reason, "appeal_days": settings.REDRESS_APPEAL_WINDOW_DAYS}


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
        _proposed,
    )


def _proposed(resolution: Resolution) -> str:
    if resolution.state == Resolution.State.PENDING_APPROVAL:
        return _(
            "Compensation proposed. It waits for a second person's approval: the customer "
            "sees it only once an appeal officer or admin other than you approves it."
        )
    return _("Resolution proposed. The customer can accept or dispute it.")


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


def _merge_target(actor: User, into_reference: str) -> Ticket:
    into = selectors.tickets_visible_to(actor).filter(reference=into_reference.upper()).first()
    if into is None:
        raise ValidationError({"into": _("There is no case with this reference.")})
    return into


def _merge(actor: User, ticket: Ticket, into_reference: str) -> Ticket:
    into = _merge_target(actor, into_reference)
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
        confirm=lambda ticket, data: {"into": _merge_target(request.user, data["into"])},
    )


@staff_page
@require_GET
def ticket_presence(request, reference):
    """The heartbeat: I am looking at this case; who else is?"""
    ticket_id = (
        selectors.tickets_visible_to(request.user)
        .filter(reference=reference.upper())
        .values_list("pk", flat=True)
        .first()
    )
    if ticket_id is None:
        # Not (or no longer) the reader's to read: an escalation handed it to the next
        # tier while the page was open. 286 tells htmx to stop polling, and says nothing.
        return HttpResponse(status=STOP_POLLING)
    viewers = presence.presence_heartbeat(ticket_id=ticket_id, user=request.user)
    # Messages someone else wrote since the page was drawn (a reply by mail, a colleague's
    # note): announced beside the conversation, so the agent does not answer blind.
    seen = request.GET.get("seen", "")
    written = (
        selectors.ticket_messages_for(request.user, Ticket(pk=ticket_id))
        .filter(pk__gt=int(seen))
        .exclude(author=request.user)
        .count()
        if seen.isdigit()
        else 0
    )
    return render(
        request,
        "staff/partials/_presence.html",
        {"viewers": viewers, "written_since": written, "reference": reference.upper()},
    )


@staff_page
@require_GET
def ticket_canned(request, reference):
    """The reply box with a canned reply or a help-center article link added for this case,
    after what was typed."""
    ticket = _ticket(request, reference)
    form = ReplyForm(request.GET, prefix=REPLY.name)
    form.is_valid()
    typed = form.cleaned_data.get("body", "")
    insert = ""
    chosen_id = request.GET.get("canned", "")
    chosen = canned.canned_replies().filter(pk=chosen_id).first() if chosen_id.isdigit() else None
    if chosen is not None:
        insert = canned.render_canned(chosen, ticket)
    slug = request.GET.get("article", "")
    article = help_selectors.article_get(slug) if slug else None
    if article is not None:
        insert = canned.render_article_link(article, ticket)
    body = typed
    if insert:
        body = f"{typed.rstrip()}\n\n{insert}" if typed.strip() else insert
    data = request.GET.copy()
    data[form.add_prefix("body")] = body
    form = ReplyForm(data, prefix=REPLY.name)
    context = {
        "ticket": ticket,
        "action": REPLY,
        "form": form,
        "stale": [],
        "canned_replies": canned.canned_replies(),
        "help_articles": canned.help_articles(ticket),
    }
    return render(request, "staff/partials/_compose_body.html", context)
