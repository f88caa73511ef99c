"""The agent queue: named views, filters, search and keyset pagination in deadline order.

It lists only the cases the user may read (tickets.selectors.case_scope): the views and
filters narrow that, never widen it.

Every view is a range scan over a partial index on open cases ordered by
(escalation_due_at, id), nearest deadline first and cases with no running clock last,
so page 1000 costs what page 1 costs and a page is a fixed number of queries.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from tickets import search
from tickets.models import OPEN_STATUSES, Status, Ticket, Tier
from tickets.selectors import case_scope

BREACHING_SOON = timedelta(hours=4)

VIEWS = {
    "mine": _("My open cases"),
    "unassigned": _("My teams' unassigned"),
    "breaching_soon": _("Breaching soon"),
    "breached": _("Breached"),
    "waiting": _("Waiting on customer"),
    # The regulator's clock (tickets.regulator): no final decision, and its deadline passed.
    "past_decision": _("Past the final-decision deadline"),
    Tier.SUPPORT.value: Tier.SUPPORT.label,
    Tier.APPEAL_CENTER.value: Tier.APPEAL_CENTER.label,
    Tier.DISPUTE_COMMITTEE.value: Tier.DISPUTE_COMMITTEE.label,
}


def _view_filter(view: str, user: User, now: datetime, teams=None) -> Q:
    """The view's condition; "waiting" narrows the status, which queue_tickets applies once."""
    if teams is None and view == "unassigned":
        teams = list(user.teams.values_list("pk", flat=True))
    return {
        "mine": Q(assignee=user),
        "unassigned": Q(assignee__isnull=True, team__in=teams if teams is not None else []),
        "breaching_soon": Q(escalation_due_at__gte=now, escalation_due_at__lt=now + BREACHING_SOON),
        "breached": Q(last_breach_at__isnull=False),
        "waiting": Q(),
        "past_decision": Q(final_decision_at__isnull=True, final_decision_due_at__lte=now),
    }.get(view, Q(tier=view))


def _statuses(filters: QueueFilters) -> list[str]:
    # One status condition, not two ANDed: the planner multiplies the selectivities of
    # `status IN (open)` and `status IN (chosen)` and then picks a bad plan.
    statuses = [s for s in OPEN_STATUSES if not filters.status or s in filters.status]
    if filters.view == "waiting":
        statuses = [s for s in statuses if s == Status.PENDING_CUSTOMER]
    return statuses


@dataclass
class QueueFilters:
    view: str = "mine"
    status: list[str] = field(default_factory=list)
    tier: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    team: list[str] = field(default_factory=list)  # team codes
    assignee: str = ""  # "me", "none" or a staff email
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str = ""


def queue_tickets(
    user: User, filters: QueueFilters, now: datetime | None = None
) -> QuerySet[Ticket]:
    now = now or timezone.now()
    # Only the cases the user may read (tickets.selectors): teams and tiers, panels.
    tickets = Ticket.objects.filter(case_scope(user, now), status__in=_statuses(filters))
    if filters.view in VIEWS:
        tickets = tickets.filter(_view_filter(filters.view, user, now))
    for name in ("tier", "priority", "channel"):
        values = getattr(filters, name)
        if values:
            tickets = tickets.filter(**{f"{name}__in": values})
    if filters.category:
        tickets = tickets.filter(category__code__in=filters.category)
    if filters.team:
        tickets = tickets.filter(team__code__in=filters.team)
    if filters.assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif filters.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee:
        tickets = tickets.filter(assignee__email__iexact=filters.assignee)
    if filters.created_from:
        tickets = tickets.filter(created_at__gte=filters.created_from)
    if filters.created_to:
        tickets = tickets.filter(created_at__lt=filters.created_to)
    # Every queue view is of open cases: the search reads the index of open cases only.
    own = filters.view == "mine" or filters.assignee == "me"
    return search.search(tickets, filters.q, open_only=True, one_caseload=own)


def _order_column(view: str) -> str:
    """What a view is ordered by: the next SLA deadline, except past the regulator's
    deadline, where the longest overdue comes first (its own index, queue_past_decision)."""
    return "final_decision_due_at" if view == "past_decision" else "escalation_due_at"


def _encode(ticket: Ticket, column: str) -> str:
    due = getattr(ticket, column)
    due = due.isoformat() if due else None
    return base64.urlsafe_b64encode(json.dumps([due, ticket.pk]).encode()).decode()


def _after(cursor: str, column: str) -> Q | None:
    """Rows after the cursor in (column NULLS LAST, id) order."""
    try:
        due_text, pk = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        pk = int(pk)
        due = parse_datetime(due_text) if due_text else None
    except (ValueError, TypeError):
        return None
    if due is None:
        return Q(**{f"{column}__isnull": True, "pk__gt": pk})
    return (
        Q(**{f"{column}__gt": due})
        | Q(**{column: due, "pk__gt": pk})
        | Q(**{f"{column}__isnull": True})
    )


# The columns a queue row shows (tickets.display.queue_rows) and the cursor needs. The
# description, the SLA clock and the category's JSON field lists would be read, converted
# and built into models for every row and never shown.
ROW_FIELDS = (
    "reference",
    "subject",
    "status",
    "tier",
    "priority",
    "team_id",
    "escalation_due_at",
    "sla_warning_at",
    "sla_paused_at",
    "last_breach_at",
    "final_decision_due_at",
    "customer__email",
    "customer__full_name",
    "assignee__email",
    "assignee__full_name",
    "category__name_en",
    "category__name_zh",
)


@dataclass
class QueuePage:
    tickets: list[Ticket]
    next_cursor: str | None


def queue_page(
    user: User,
    filters: QueueFilters,
    *,
    cursor: str = "",
    size: int = 50,
    now: datetime | None = None,
) -> QueuePage:
    """One page of the queue: a single query for the rows, whatever the page number."""
    tickets = queue_tickets(user, filters, now)
    column = _order_column(filters.view)
    after = _after(cursor, column) if cursor else None
    if after is not None:
        tickets = tickets.filter(after)
    order = (F(column).asc(nulls_last=True), "id")
    if filters.q.strip() or filters.view == "past_decision":
        # A search, or the cases past the regulator's deadline, can be thousands of open
        # cases, and the planner's guess of how many is poor: order their ids alone first (a
        # search: its matches hashed against an index-only scan of the open cases; past the
        # deadline: its own index, walked in order and stopped at the page), then read the
        # page's rows and their joins for those ids only. With the joins in the same query
        # the planner could trade the index's order for a hash join and sort every match.
        ids = list(tickets.order_by(*order).values_list("pk", flat=True)[: size + 1])
        tickets = Ticket.objects.filter(pk__in=ids)
    rows = list(
        tickets.select_related("category", "assignee", "customer")
        .only(*ROW_FIELDS)
        .order_by(*order)[: size + 1]
    )
    next_cursor = _encode(rows[size - 1], column) if len(rows) > size else None
    return QueuePage(tickets=rows[:size], next_cursor=next_cursor)


def first_view_with_cases(counts: dict[str, int]) -> str:
    """Where an agent lands: their own cases, else the first view that has any, so a new
    agent with nothing assigned opens their teams' unassigned instead of an empty list."""
    return next((view for view in VIEWS if counts.get(view)), "mine")


COUNTS_TTL = 15  # seconds: the page refreshes every 30 s; a count this fresh is live enough


def queue_counts(user: User, now: datetime | None = None) -> dict[str, int]:
    """Every view's count in one aggregate query over the open cases, cached briefly.

    At a million tickets the aggregate reads every open case (tens of milliseconds); an
    agent's page and its refreshes share one result for COUNTS_TTL seconds.
    """
    key = f"queue-counts:{user.pk}"
    counts = cache.get(key)
    if counts is None:
        now = now or timezone.now()
        teams = user.teams.values("pk")  # a subquery: no extra round trip
        aggregates = {}
        for view in VIEWS:
            condition = _view_filter(view, user, now, teams=teams)
            if view == "waiting":
                condition = Q(status=Status.PENDING_CUSTOMER)
            aggregates[view] = Count("pk", filter=condition)
        counts = Ticket.objects.filter(case_scope(user, now), status__in=OPEN_STATUSES).aggregate(
            **aggregates
        )
        cache.set(key, counts, COUNTS_TTL)
    return counts
