"""Customer pages: file a case, follow it, reply and add evidence. Thin: parse, call, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from escalation import services as lifecycle
from tickets import selectors, services, web
from tickets.exceptions import DuplicateTicket
from tickets.forms import AppealForm, ReplyForm, TicketFilingForm
from tickets.models import Channel, EvidenceField
from tickets.transitions import CUSTOMER, STAFF, allowed_actions
from tickets.web import add_service_errors, go

MY_TICKETS_PAGE = 20


def _due_text(value) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


@login_required
def my_tickets(request):
    tickets = (
        selectors.tickets_visible_to(request.user).filter(customer=request.user).order_by("-id")
    )
    before = request.GET.get("before", "")
    if before.isdigit():
        tickets = tickets.filter(id__lt=int(before))
    page = list(tickets[: MY_TICKETS_PAGE + 1])
    next_before = page[MY_TICKETS_PAGE - 1].id if len(page) > MY_TICKETS_PAGE else None
    return render(
        request,
        "tickets/my_tickets.html",
        {"tickets": page[:MY_TICKETS_PAGE], "next_before": next_before, "paged": bool(before)},
    )


@login_required
@never_cache
@sensitive_post_parameters()  # customer text never goes into an error report
def file_ticket(request):
    form = TicketFilingForm(
        request.POST or None,
        request.FILES or None,
        initial={"category": request.GET.get("category", "")},
    )
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        add_to = request.POST.get("add_to", "")
        try:
            if add_to:
                existing = selectors.ticket_get_for_user(request.user, add_to)
                body = "\n\n".join(part for part in (data["subject"], data["description"]) if part)
                services.ticket_add_message(
                    ticket=existing, author=request.user, body=body, files=data["files"]
                )
                messages.success(request, _("Added to case %(ref)s.") % {"ref": existing.reference})
                return go(request, reverse("tickets:detail", args=[existing.reference]))
            ticket = services.ticket_file(
                customer=request.user,
                filed_by=request.user,
                category=data["category"],
                subject=data["subject"],
                description=data["description"],
                fields=form.field_values(),
                files=data["files"],
                channel=Channel.WEB,
                allow_duplicate=bool(request.POST.get("file_anyway")),
            )
        except DuplicateTicket as duplicate:
            duplicates = duplicate.existing
        except ValidationError as error:
            add_service_errors(form, error, rename={"body": "description"})
        else:
            messages.success(
                request,
                _("Case %(ref)s is filed. We will reply by %(due)s at the latest.")
                % {"ref": ticket.reference, "due": _due_text(ticket.first_response_due_at)},
            )
            return go(request, reverse("tickets:detail", args=[ticket.reference]))
    return web.filing_page(request, "tickets/file.html", form, duplicates)


@login_required
def category_fields(request):
    return web.category_fields(request, TicketFilingForm)


def _detail_context(request, ticket, reply_form=None, appeal_form=None):
    user = request.user
    actor = STAFF if ticket.customer_id != user.pk else CUSTOMER
    return {
        "proposal": selectors.open_proposal(ticket),
        "decision": selectors.published_decision(ticket),
        "appeal_form": appeal_form or AppealForm(),
        "ticket": ticket,
        "conversation": selectors.ticket_messages_for(user, ticket),
        "attachments": selectors.ticket_attachments_for(user, ticket),
        "events": selectors.ticket_events_for(user, ticket),
        "reply_form": reply_form or ReplyForm(),
        "actions": allowed_actions(ticket, actor),
        "evidence_fields": [
            (field.value, field.label, getattr(ticket, field.value))
            for field in EvidenceField
            if getattr(ticket, field.value) not in (None, "")
        ],
    }


@login_required
def ticket_detail(request, reference):
    ticket = selectors.ticket_get_for_user(request.user, reference)
    return render(request, "tickets/detail.html", _detail_context(request, ticket))


@login_required
@require_POST
@sensitive_post_parameters()
def ticket_reply(request, reference):
    ticket = selectors.ticket_get_for_user(request.user, reference)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.ticket_add_message(
                ticket=ticket,
                author=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["files"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your message is sent."))
            return go(request, reverse("tickets:detail", args=[ticket.reference]))
    context = _detail_context(request, ticket, reply_form=form)
    if request.htmx:
        return render(request, "tickets/detail.html#reply-body", context)
    return render(request, "tickets/detail.html", context, status=400)


@login_required
@require_POST
def accept_resolution(request, reference):
    ticket = selectors.ticket_get_for_user(request.user, reference)
    lifecycle.resolution_accept(ticket=ticket, actor=request.user)
    messages.success(request, _("Thank you. Your case is resolved."))
    return redirect("tickets:detail", reference=ticket.reference)


@login_required
@require_POST
@sensitive_post_parameters()
def appeal(request, reference):
    """Dispute a proposal or appeal a rejection, with a reason and optional new evidence."""
    ticket = selectors.ticket_get_for_user(request.user, reference)
    form = AppealForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            lifecycle.appeal_file(
                ticket=ticket,
                customer=request.user,
                reason=form.cleaned_data["reason"],
                files=form.cleaned_data["files"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            ticket.refresh_from_db()
            messages.success(
                request,
                _("Your appeal is filed. The %(tier)s now reviews your case.")
                % {"tier": ticket.get_tier_display()},
            )
            return redirect("tickets:detail", reference=ticket.reference)
    context = _detail_context(request, ticket, appeal_form=form)
    return render(request, "tickets/detail.html", context, status=400)


@login_required
def attachment_download(request, attachment_id):
    return web.evidence_download(selectors.attachment_get_for_user(request.user, attachment_id))


def home(request):
    if request.user.is_authenticated:
        return redirect("tickets:my_tickets")
    return render(request, "home.html")


@login_required
def case_file_download(request, reference):
    """The whole case as a ZIP with a SHA-256 manifest, for what this user may see."""
    ticket = selectors.ticket_get_for_user(request.user, reference)
    return web.case_file_download(ticket, request.user)
