"""Staff pages: the agent queue, the case workbench and filing on a customer's behalf.

Thin like tickets.views: parse a form, call one service or selector, render. Every view is
for staff who finished two-factor sign-in; a customer asking for any of these URLs gets 404,
as if it did not exist. Domain errors a service raises (InvalidTransition, NotAllowed) are
turned into the 409/403 page by config.web_errors; ValidationErrors go back on the form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from accounts.access import staff_required
from accounts.models import Team, User
from accounts.roles import STAFF_ROLES
from escalation.clock import RUNNING
from escalation.models import Target
from tickets import canned, presence, selectors, services, web
from tickets.display import queue_rows
from tickets.exceptions import DuplicateTicket, InvalidTransition, NotAllowed
from tickets.models import EvidenceField, Resolution, Ticket
from tickets.queue import VIEWS, queue_counts, queue_page
from tickets.staff_forms import (
    ALL_OPEN,
    BULK_ASSIGN,
    BULK_PRIORITY,
    AssignForm,
    BulkActionForm,
    CategoryForm,
    ClaimForm,
    EscalateForm,
    MergeForm,
    MessageForm,
    PriorityForm,
    ProposeResolutionForm,
    QueueFilterForm,
    RejectForm,
    ReplyForm,
    StaffFilingForm,
)
from tickets.transitions import STAFF, allowed_actions
from tickets.web import add_service_errors, go

QUEUE_PAGE_SIZE = 50
VIEW_TABS = [*VIEWS.items(), (ALL_OPEN, gettext_lazy("All open"))]
# Raster images only: an SVG is a document that can carry script, never shown inline.
PREVIEW_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")


def staff_page(view):
    """Staff who passed two-factor sign-in only (customers get 404); never cached."""
    return staff_required(never_cache(view))


STAFF_MEMBERS_TTL = 10  # seconds: someone given a staff role is suggested this soon


def _staff_members() -> list[dict[str, str]]:
    """The assignee suggestions, shared by every staff page for STAFF_MEMBERS_TTL seconds.

    Finding the staff means reading the customers too: milliseconds on every queue load at
    scale, for a list that seldom changes. The names do not depend on the page's language.
    """
    members = cache.get("staff-members")
    if members is None:
        members = [
            # Plain dicts in the cache: nothing to unpickle that a deploy could rename.
            {"email": user.email, "display_name": user.display_name}
            for user in User.objects.filter(
                Q(groups__name__in=STAFF_ROLES) | Q(is_superuser=True), is_active=True
            )
            .distinct()
            .order_by("full_name", "email")
            .only("email", "full_name")
        ]
        cache.set("staff-members", members, STAFF_MEMBERS_TTL)
    return members


def _url(request, **changes) -> str:
    """This page's URL with some query parameters replaced (None drops one)."""
    query = request.GET.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = value
    encoded = query.urlencode()
    return f"{request.path}?{encoded}" if encoded else request.path


# The queue


@staff_page
@require_GET
def queue(request):
    form = QueueFilterForm(request.GET)
    filters = form.filters()
    now = timezone.now()
    page = queue_page(
        request.user,
        filters,
        cursor=request.GET.get("cursor", ""),
        size=QUEUE_PAGE_SIZE,
        now=now,
    )
    teams = list(Team.objects.all())
    counts = queue_counts(request.user, now=now)
    context = {
        "form": form,
        "view": filters.view,
        "rows": queue_rows(page.tickets, teams=teams, now=now),
        "now": now,
        "tabs": [
            (code, label, counts.get(code), _url(request, view=code, cursor=None))
            for code, label in VIEW_TABS
        ],
        "next_page_url": _url(request, cursor=page.next_cursor) if page.next_cursor else "",
        "first_page_url": _url(request, cursor=None) if request.GET.get("cursor") else "",
        "refresh_url": request.get_full_path(),
    }
    if request.htmx:
        return render(request, "staff/queue.html#queue-refresh", context)
    context.update(bulk_form=BulkActionForm(teams=teams), staff_members=_staff_members())
    return render(request, "staff/queue.html", context)


def _back_to_queue(request) -> str:
    url = request.POST.get("next", "")
    queue_url = reverse("staff:queue")
    safe = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    return url if safe and url.startswith(queue_url) else queue_url


def _bulk_operation(actor: User, data: dict) -> tuple[Callable[[Ticket], object], Callable]:
    """The service call for each ticked row, and the sentence saying which rows it worked on."""
    action = data["action"]
    if action == BULK_ASSIGN:
        return (
            lambda ticket: services.ticket_assign(
                ticket=ticket,
                actor=actor,
                assignee=data["assignee"] or None,
                team=data["team"] or None,
            ),
            lambda refs: _("Assigned: %(refs)s.") % {"refs": refs},
        )
    if action == BULK_PRIORITY:
        return (
            lambda ticket: services.ticket_change_priority(
                ticket=ticket, actor=actor, priority=data["priority"], reason=data["reason"]
            ),
            lambda refs: _("Priority changed: %(refs)s.") % {"refs": refs},
        )
    into = Ticket.objects.filter(reference=data["into"]).first()
    if into is None:
        raise ValidationError(
            _("There is no case %(ref)s to merge into.") % {"ref": data["into"]}, code="invalid"
        )
    return (
        lambda ticket: services.ticket_merge(ticket=ticket, actor=actor, into=into),
        lambda refs: (
            _("Closed as duplicates of %(into)s: %(refs)s.")
            % {"into": into.reference, "refs": refs}
        ),
    )


@staff_page
@require_POST
def queue_bulk(request):
    """One service call per ticked row; a summary says what was done and what was refused."""
    back = _back_to_queue(request)
    form = BulkActionForm(request.POST, teams=Team.objects.all())
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        call, done_text = _bulk_operation(request.user, form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    references = form.cleaned_data["tickets"]
    found = {t.reference: t for t in Ticket.objects.filter(reference__in=references)}
    done, refused = [], []
    for reference in references:
        ticket = found.get(reference)
        if ticket is None:
            refused.append((reference, _("There is no such case.")))
            continue
        try:
            call(ticket)
        except (InvalidTransition, NotAllowed) as error:
            refused.append((reference, error.reason))
        except ValidationError as error:
            refused.append((reference, " ".join(error.messages)))
        else:
            done.append(reference)
    if done:
        messages.success(request, done_text(", ".join(done)))
    for reference, reason in refused:
        messages.warning(
            request, _("Not done for %(ref)s: %(reason)s") % {"ref": reference, "reason": reason}
        )
    return redirect(back)


# The workbench


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
COMPOSE_ACTIONS = (REPLY, NOTE, REQUEST_INFO)
SIDE_ACTIONS = (ASSIGN, PRIORITY, CATEGORY, PROPOSE, ESCALATE, REJECT, MERGE)

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
        elif isinstance(value, list):
            value = ", ".join(map(str, value))
        details.append((label, str(value)))
    return details


def _sla_timers(ticket: Ticket) -> list[dict]:
    """Each deadline of the current tier: when it is due and where it stands."""
    breached = set(ticket.sla_breached)
    if not ticket.is_open:
        clock = "stopped"
    elif ticket.sla_paused_at or ticket.status not in RUNNING:
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
        "staff_members": _staff_members(),
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
            "staff_members": _staff_members(),
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
        lambda ticket, data: services.ticket_escalate(
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


@staff_page
@require_GET
def attachment_preview(request, attachment_id):
    """An evidence image shown inline on the workbench; anything else is only downloaded."""
    attachment = selectors.attachment_get_for_user(request.user, attachment_id)
    if attachment.content_type not in PREVIEW_TYPES:
        raise Http404
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# Filing on a customer's behalf


@staff_page
@sensitive_post_parameters()
def file_for_customer(request):
    form = StaffFilingForm(
        request.POST or None,
        request.FILES or None,
        initial={
            "category": request.GET.get("category", ""),
            "customer_email": request.GET.get("customer", ""),
        },
    )
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_file(
                customer=form.customer,
                filed_by=request.user,
                category=data["category"],
                subject=data["subject"],
                description=data["description"],
                fields=form.field_values(),
                files=data["files"],
                channel=data["channel"],
                allow_duplicate=bool(request.POST.get("file_anyway")),
            )
        except DuplicateTicket as duplicate:
            duplicates = duplicate.existing
        except ValidationError as error:
            add_service_errors(form, error, rename={"body": "description"})
        else:
            messages.success(
                request,
                _("Case %(ref)s is filed for %(customer)s; they get its reference by email.")
                % {"ref": ticket.reference, "customer": form.customer.email},
            )
            return go(request, reverse("staff:ticket", args=[ticket.reference]))
    return web.filing_page(request, "staff/file.html", form, duplicates)


@staff_page
@require_GET
def category_fields(request):
    return web.category_fields(request, StaffFilingForm)
