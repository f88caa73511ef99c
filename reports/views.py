"""The reports area for team leads and admins, the rating pages, and the case-page part.

Thin like every other view: parse a form, call one selector, service or report, render.
The reports area is for staff who finished two-factor sign-in and read reports (admins:
every team; team leads: theirs); anyone else gets 404, as if it did not exist.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import staff_page
from reports import archive, catalogue, charts, exports, services
from reports import register as records
from reports.forms import ArchiveForm, RatingForm, ReportFilterForm
from reports.models import Summary
from reports.results import Result
from reports.selectors import is_admin, open_rating, rating_from_link, report_scope
from tickets import selectors as ticket_selectors
from tickets.models import Ticket
from tickets.web import add_service_errors


def reports_page(view):
    """Staff with two-factor sign-in who read reports; the reader's scope is passed on."""

    @staff_page
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        scope = report_scope(request.user)
        if scope is None:
            raise Http404
        return view(request, scope, *args, **kwargs)

    return wrapper


READER = "reads_reports"


def remember_reader(sender, request, user, **kwargs) -> None:
    """At sign-in: does this person read reports? The navigation shows the link from the
    session, so no staff page asks the database again (the reports pages check afresh)."""
    if request is not None and hasattr(request, "session"):
        request.session[READER] = report_scope(user) is not None


def _result_context(result: Result) -> dict:
    return {
        "result": result,
        "chart": charts.bar_chart(result.chart) if result.chart else None,
        "first_table": result.tables[0] if result.tables else None,
        "more_tables": result.tables[1:],
    }


@reports_page
@require_GET
def index(request, scope):
    summaries = Summary.objects.select_related("team")
    if not scope.everything:
        summaries = summaries.filter(team_id__in=scope.team_ids)
    return render(
        request,
        "reports/index.html",
        {
            "reports": catalogue.REPORTS.values(),
            "summaries": summaries[:24],
            "can_export_case_files": is_admin(request.user),
            "scope": scope,
        },
    )


def _csv(name: str, filters, scope, result: Result, table_key: str):
    filename = f"{name}-{filters.start}-{filters.end}.csv"
    if name == "register":
        return exports.response(filename, records.columns(), records.every_row(filters, scope))
    table = next((t for t in result.tables if t.key == table_key), result.tables[0])
    if table.key != result.tables[0].key:
        filename = f"{name}-{table.key}-{filters.start}-{filters.end}.csv"
    return exports.response(filename, table.columns, table.rows)


@reports_page
@require_GET
def report(request, scope, name):
    if name not in catalogue.REPORTS:
        raise Http404
    form = ReportFilterForm(request.GET, scope=scope)
    try:
        filters = form.filters()
    except ValidationError:
        filters = None
    result = catalogue.build(name, filters, scope) if filters else None
    if result is not None and request.GET.get("format") == "csv" and result.tables:
        return _csv(name, filters, scope, result, request.GET.get("table", ""))
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("table", None)
    context = {
        "name": name,
        "form": form,
        "filters": filters,
        "reports": catalogue.REPORTS.values(),
        "query": query.urlencode(),
        "csv_query": f"{query.urlencode()}&" if query else "",
        **(_result_context(result) if result else {"result": None}),
    }
    return render(request, "reports/report.html", context, status=200 if result else 400)


@reports_page
@require_GET
def summary(request, scope, summary_id):
    kept = get_object_or_404(Summary.objects.select_related("team"), pk=summary_id)
    if not scope.everything and kept.team_id not in scope.team_ids:
        raise Http404
    language = translation.get_language() or "en"
    stored = kept.data.get("zh-hans" if language.startswith("zh") else "en") or []
    results = [Result.from_dict(data) for data in stored]
    return render(
        request,
        "reports/summary.html",
        {"summary": kept, "results": [_result_context(result) for result in results]},
    )


@reports_page
@require_GET
def records_page(request, scope):
    """The case files of a period, as one archive with a manifest (admins only)."""
    if not is_admin(request.user):
        raise Http404
    form = ArchiveForm(request.GET, scope=scope)
    try:
        filters = form.filters()
    except ValidationError:
        filters = None
    count = archive.count(filters, scope) if filters else None
    limit = archive.web_limit()
    if filters and request.GET.get("download") and count is not None and count <= limit:
        return archive.download(filters, scope, request.user)
    query = request.GET.copy()
    query.pop("download", None)
    return render(
        request,
        "reports/records.html",
        {
            "form": form,
            "filters": filters,
            "count": count,
            "limit": limit,
            "query": query.urlencode(),
        },
    )


# Satisfaction: the case page's part, and the rating pages.


def rating_part(request, ticket: Ticket) -> dict | None:
    """The rating prompt on the customer's own case page, while the rating is open."""
    if not request.user.is_authenticated or request.user.pk != ticket.customer_id:
        return None
    rating = open_rating(ticket)
    if rating is None:
        return None
    initial = {
        "outcome": rating.outcome_score,
        "service": rating.service_score,
        "comment": rating.comment,
    }
    return {
        "template": "reports/partials/_rating_part.html",
        "rating": rating,
        "rating_form": RatingForm(initial=initial, prefix="rating"),
    }


def _submit(request, rating, customer, form) -> bool:
    if not form.is_valid():
        return False
    try:
        services.rating_submit(
            rating=rating,
            customer=customer,
            outcome_score=form.cleaned_data["outcome"],
            service_score=form.cleaned_data["service"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    messages.success(request, _("Thank you for your rating."))
    return True


@login_required
@require_POST
def rate(request, reference):
    """The rating from the customer's case page (signed in)."""
    ticket = ticket_selectors.ticket_get_for_user(request.user, reference)
    rating = open_rating(ticket)
    if rating is None:
        raise Http404
    form = RatingForm(request.POST, prefix="rating")
    if _submit(request, rating, request.user, form):
        return redirect("tickets:detail", reference=ticket.reference)
    return render(
        request,
        "reports/rate.html",
        {"rating": rating, "ticket": ticket, "form": form, "action": request.path},
        status=400,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def rate_link(request, reference, token):
    """The rating from the mail's signed link: no sign-in, bound to the case's customer."""
    rating = rating_from_link(reference, token)
    ticket = rating.ticket
    status = 200
    if request.user.is_authenticated and request.user.pk != ticket.customer_id:
        # Staff opening a customer's link (or another account) never rate in their name.
        services.refuse_rater(request.user)
    if not rating.is_valid:
        form, status = None, 410
    elif request.method == "POST":
        form = RatingForm(request.POST, prefix="rating")
        if _submit(request, rating, ticket.customer, form):
            return redirect(request.path)
        status = 400
    else:
        initial = {
            "outcome": rating.outcome_score,
            "service": rating.service_score,
            "comment": rating.comment,
        }
        form = RatingForm(initial=initial, prefix="rating")
    return render(
        request,
        "reports/rate.html",
        {
            "rating": rating,
            "ticket": ticket,
            "form": form,
            "action": request.path,
            "now": timezone.now(),
        },
        status=status,
    )
