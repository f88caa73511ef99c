"""The register: every complaint filed in a period, one row each, for a regulator's request.

The cases are found through their `filed` facts (indexed by day), under the same filters
and scope as every report, and read a bounded batch at a time, so an export of a year of
complaints streams without holding them all.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from reports import facts, query
from reports.models import CaseFact
from reports.query import ReportFilters
from reports.results import DATE, TEXT, Column, Table
from reports.selectors import Scope
from tickets.labels import LABELS
from tickets.models import DelayNotice, Resolution, Ticket

PAGE_ROWS = 50
BATCH = 2000


def _case_ids(filters: ReportFilters, scope: Scope) -> Iterator[list[int]]:
    filed = query.narrow(
        CaseFact.objects.filter(metric=facts.FILED, day__gte=filters.start, day__lte=filters.end),
        filters,
        scope,
    ).order_by("day", "ticket_id")
    last = None
    while True:
        page = filed
        if last is not None:
            day, ticket_id = last
            page = page.exclude(day__lt=day).exclude(day=day, ticket_id__lte=ticket_id)
        batch = list(page.values_list("day", "ticket_id")[:BATCH])
        if not batch:
            return
        last = batch[-1]
        yield [ticket_id for _day, ticket_id in batch]


def _iso(moment) -> str | None:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else None


def _rows_for(ticket_ids: list[int]) -> list[dict]:
    from reports.catalogue import outcome_label

    cases = facts.gather(ticket_ids)
    tickets = Ticket.objects.select_related("category", "team", "merged_into").in_bulk(ticket_ids)
    compensation = {
        ticket_id: f"{amount.normalize():f} {asset}"
        for ticket_id, amount, asset in Resolution.objects.filter(
            ticket_id__in=ticket_ids, state=Resolution.State.ACCEPTED, amount__isnull=False
        ).values_list("ticket_id", "amount", "asset__code")
    }
    expected = dict(
        DelayNotice.objects.filter(ticket_id__in=ticket_ids)
        .values_list("ticket_id")
        .annotate(latest=Max("expected_by"))
    )
    rows = []
    for ticket_id in ticket_ids:
        ticket, case = tickets.get(ticket_id), cases.get(ticket_id)
        if ticket is None or case is None:
            continue
        outcome = facts.outcome_of(case)
        if ticket.merged_into_id:
            outcome_text = _("Merged into %(reference)s") % {
                "reference": ticket.merged_into.reference
            }
        else:
            outcome_text = outcome_label(outcome) if outcome else ""
        rows.append(
            {
                "reference": ticket.reference,
                "filed_at": _iso(ticket.created_at),
                "first_reply_at": _iso(case.first_reply),
                "first_proposal_at": _iso(case.first_answer),
                "final_decision_due_at": _iso(ticket.final_decision_due_at),
                "final_decision_at": _iso(ticket.final_decision_at),
                "delay_expected_by": expected[ticket_id].isoformat()
                if ticket_id in expected
                else None,
                "category": ticket.category.name,
                "team": ticket.team.name if ticket.team_id else "",
                "tier": str(LABELS["tier"].get(ticket.tier, ticket.tier)),
                "channel": ticket.get_channel_display(),
                "status": str(LABELS["status"].get(ticket.status, ticket.status)),
                "outcome": outcome_text,
                "compensation": compensation.get(ticket_id, ""),
                "link": reverse("staff:ticket", args=[ticket.reference]),
            }
        )
    return rows


def rows(filters: ReportFilters, scope: Scope, *, limit: int) -> list[dict]:
    """The first `limit` complaints of the period, in filing order."""
    found: list[dict] = []
    for ids in _case_ids(filters, scope):
        found += _rows_for(ids[: limit - len(found)])
        if len(found) >= limit:
            break
    return found


def every_row(filters: ReportFilters, scope: Scope) -> Iterator[dict]:
    """Every complaint of the period, a batch at a time (the CSV export)."""
    for ids in _case_ids(filters, scope):
        yield from _rows_for(ids)


def case_ids(filters: ReportFilters, scope: Scope) -> Iterator[int]:
    for ids in _case_ids(filters, scope):
        yield from ids


def columns() -> list[Column]:
    return [
        Column("reference", _("Reference"), TEXT),
        Column("filed_at", _("Filed (acknowledged)"), DATE),
        Column("first_reply_at", _("First reply"), DATE),
        Column("first_proposal_at", _("First proposal or rejection"), DATE),
        Column("final_decision_due_at", _("Final decision due"), DATE),
        Column("final_decision_at", _("Final decision"), DATE),
        Column("delay_expected_by", _("Delay notice: expected by"), TEXT),
        Column("category", _("Category"), TEXT),
        Column("team", _("Team"), TEXT),
        Column("tier", _("Tier"), TEXT),
        Column("channel", _("Channel"), TEXT),
        Column("status", _("Status"), TEXT),
        Column("outcome", _("Outcome"), TEXT),
        Column("compensation", _("Compensation"), TEXT),
    ]


def table(listed: list[dict]) -> Table:
    return Table(_("Complaints"), columns(), listed, key="complaints")
