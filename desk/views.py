"""Staff pages: the agent queue, its bulk actions and filing on a customer's behalf.

Thin like tickets.views: parse a form, call one service or selector, render. Every view is
for staff who finished two-factor sign-in; a customer asking for any of these URLs gets 404,
as if it did not exist. Domain errors a service raises (InvalidTransition, NotAllowed) are
turned into the 409/403 page by config.web_errors; ValidationErrors go back on the form.
The case workbench is in desk/workbench.py.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from accounts.access import staff_page
from accounts.models import Team, User
from desk import assignees
from desk.display import queue_rows
from desk.forms import (
    ALL_OPEN,
    BULK_ASSIGN,
    BULK_MERGE,
    BULK_PRIORITY,
    BulkActionForm,
    QueueFilterForm,
    StaffFilingForm,
)
from desk.queue import VIEWS, first_view_with_cases, queue_counts, queue_page
from tickets import authority, selectors, services, web
from tickets.exceptions import DuplicateTicket, InvalidTransition, NotAllowed
from tickets.models import Ticket, Tier
from tickets.web import add_service_errors, go

QUEUE_PAGE_SIZE = 50
VIEW_TABS = [*VIEWS.items(), (ALL_OPEN, gettext_lazy("All open"))]
# Raster images only: an SVG is a document that can carry script, never shown inline.
PREVIEW_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")


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

# Each bulk action and the move it takes on every ticked case.
_BULK_MOVES = {BULK_ASSIGN: "assign", BULK_PRIORITY: "change_priority", BULK_MERGE: "merge"}


def _bulk_actions(user: User) -> list[str]:
    """The bulk actions `user` may take at some tier; the bar is hidden when there are none."""
    return [bulk for bulk, move in _BULK_MOVES.items() if authority.works_anywhere(user, move)]


@staff_page
@require_GET
def queue(request):
    teams = list(Team.objects.all())
    now = timezone.now()
    counts = queue_counts(request.user, now=now)
    query = request.GET.copy()
    if not query.get("view"):
        query["view"] = first_view_with_cases(counts)
    form = QueueFilterForm(query, teams=teams)
    filters = form.filters()
    page = queue_page(
        request.user,
        filters,
        cursor=request.GET.get("cursor", ""),
        size=QUEUE_PAGE_SIZE,
        now=now,
    )
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
        "bulk_actions": _bulk_actions(request.user),
        "can_file": _may_file(request.user),
        # The view chosen on arrival stays while the page refreshes itself.
        "refresh_url": f"{request.path}?{query.urlencode()}",
        # On a phone each row is a block and each cell says which column it is.
        "columns": {
            "customer": _("Customer"),
            "category": _("Category"),
            "tier": _("Tier"),
            "assignee": _("Assignee"),
            "deadline": _("Next deadline"),
        },
    }
    if request.htmx:
        return render(request, "staff/queue.html#queue-refresh", context)
    context.update(
        bulk_form=BulkActionForm(teams=teams, actions=context["bulk_actions"]),
        staff_members=assignees.staff_members(),
        filtered=any(
            value for name, value in request.GET.items() if name not in ("view", "cursor")
        ),
    )
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
    into = selectors.tickets_visible_to(actor).filter(reference=data["into"]).first()
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
    form = BulkActionForm(
        request.POST, teams=Team.objects.all(), actions=_bulk_actions(request.user)
    )
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
    if form.cleaned_data["action"] == BULK_MERGE and not form.cleaned_data["confirmed"]:
        return _confirm_merge(request, form, references, back)
    visible = selectors.tickets_visible_to(request.user).filter(reference__in=references)
    found = {t.reference: t for t in visible}
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


def _confirm_merge(request, form, references: list[str], back: str):
    """The second step of closing cases as duplicates: which ones, into which, yes or no."""
    visible = Ticket.objects.filter(selectors.case_scope(request.user))
    into = visible.get(reference=form.cleaned_data["into"])
    closing = visible.filter(reference__in=references).only("reference", "subject")
    return render(
        request,
        "staff/bulk_confirm.html",
        {"into": into, "closing": closing, "references": references, "back": back},
    )


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


def _may_file(user: User) -> bool:
    return authority.grant(user, Tier.SUPPORT, "file_for_customer") is not None


@staff_page
@sensitive_post_parameters()
def file_for_customer(request):
    if not _may_file(request.user):
        raise Http404  # the committee and appeal officers do not take complaints by phone
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
