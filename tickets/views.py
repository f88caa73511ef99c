"""Customer pages: file a case, follow it, reply and add evidence. Thin: parse, call, render.

Answering a proposal, appealing and the case file are escalation's pages (escalation.views).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.access import email_verified_required
from helpcenter import web as help_web
from tickets import selectors, services, web
from tickets.case_page import case_context, case_page
from tickets.exceptions import DuplicateTicket
from tickets.formatting import when_text
from tickets.forms import ReplyForm, TicketFilingForm
from tickets.models import Channel
from tickets.web import add_service_errors, go

MY_TICKETS_PAGE = 20


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
@email_verified_required
@never_cache
@sensitive_post_parameters()  # customer text never goes into an error report
def file_ticket(request):
    form = TicketFilingForm(
        request.POST or None,
        request.FILES or None,
        # "Still need help?" in the help center carries what the customer searched for.
        initial={
            "category": request.GET.get("category", ""),
            "subject": request.GET.get("subject", "")[:200],
        },
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
            help_web.ticket_filed(request, ticket, shown=request.POST.getlist("help_shown"))
            messages.success(
                request,
                _("Case %(ref)s is filed. We will reply by %(due)s at the latest.")
                % {"ref": ticket.reference, "due": when_text(ticket.first_response_due_at)},
            )
            return go(request, reverse("tickets:detail", args=[ticket.reference]))
    return web.filing_page(request, "tickets/file.html", form, duplicates)


@login_required
def category_fields(request):
    return web.category_fields(request, TicketFilingForm)


@login_required
def ticket_detail(request, reference):
    return case_page(request, selectors.ticket_get_for_user(request.user, reference))


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
    if request.htmx:
        context = case_context(request, ticket, reply_form=form)
        return web.fragment(request, "tickets/detail.html#reply-body", context)
    return case_page(request, ticket, reply_form=form, status=400)


@login_required
def attachment_download(request, attachment_id):
    return web.evidence_download(selectors.attachment_get_for_user(request.user, attachment_id))


def home(request):
    if request.user.is_authenticated:
        return redirect("tickets:my_tickets")
    return render(request, "home.html")
