"""How reports read the roll-ups: filters, periods, counts and percentiles.

Every figure is an aggregate over roll-up rows selected by metric, dates and the filters,
grouped in the database; what comes back is bounded by the periods and buckets, never by
the number of cases. A range longer than two months reads its whole, ended months from
MonthRollup and only the days around them from DayRollup. A report that filters by nothing
but the reader's teams, grouped by nothing finer than the team, reads the same rows counted
by team alone (TeamDayRollup, TeamMonthRollup): a tenth of the rows for a year of durations.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from django.db import connection
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from reports.models import DayRollup, MonthRollup, TeamDayRollup, TeamMonthRollup
from reports.selectors import Scope

DAY, MONTH = "day", "month"
DAILY_UP_TO = 62  # days: longer ranges are drawn per month


@dataclass(frozen=True)
class ReportFilters:
    """A report's date range (both days included) and filters (ids and codes)."""

    start: date
    end: date
    category: tuple[int, ...] = ()
    team: tuple[int, ...] = ()
    tier: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()

    def narrowed(self, **changes) -> ReportFilters:
        return replace(self, **changes)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def grain(filters: ReportFilters) -> str:
    """Bars per day up to two months, else per month."""
    return DAY if filters.days <= DAILY_UP_TO else MONTH


def period_start(day: date, size: str) -> date:
    return day.replace(day=1) if size == MONTH else day


def period_end(start: date, size: str) -> date:
    if size == MONTH:
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)
    return start


def periods(filters: ReportFilters) -> list[tuple[date, date]]:
    """Every period of the range, each cut to the range: (first day, last day)."""
    size = grain(filters)
    found, cursor = [], period_start(filters.start, size)
    while cursor <= filters.end:
        last = period_end(cursor, size)
        found.append((max(cursor, filters.start), min(last, filters.end)))
        cursor = last + timedelta(days=1)
    return found


def period_label(first: date, last: date, size: str) -> str:
    return first.strftime("%Y-%m") if size == MONTH else first.isoformat()


def narrow(selected: QuerySet, filters: ReportFilters, scope: Scope) -> QuerySet:
    """Facts or roll-up rows under the filters and the reader's scope (both have the same
    dimensions)."""
    if filters.category:
        selected = selected.filter(category_id__in=filters.category)
    if filters.team:
        selected = selected.filter(team_id__in=filters.team)
    if not scope.everything:
        selected = selected.filter(team_id__in=scope.team_ids)
    for name in ("tier", "channel", "priority"):
        values = getattr(filters, name)
        if values:
            selected = selected.filter(**{f"{name}__in": values})
    return selected


# What the team-grain roll-ups keep beside the period: a grouping by these alone reads them.
TEAM_GRAIN = frozenset({"team_id", "key", "late", "bucket", "day"})


@dataclass
class Selection:
    """Roll-up rows in up to two parts: whole months (MonthRollup) and days (DayRollup);
    and, when the filters name no dimension but the team, the same rows by team alone."""

    days: QuerySet
    months: QuerySet | None = None
    team_days: QuerySet | None = None
    team_months: QuerySet | None = None

    def parts(self, size: str, by: Iterable[str] = ()):
        """(rows, the expression of their period) for each part, grouped by `by` next."""
        days, months = self.days, self.months
        if self.team_days is not None and TEAM_GRAIN.issuperset(by):
            days, months = self.team_days, self.team_months
        found = [(days, TruncMonth("day") if size == MONTH else F("day"))]
        if months is not None:
            found.append((months, F("month")))
        return found


def _whole_months(filters: ReportFilters, built: date | None) -> list[date]:
    """The months that lie wholly inside the range and have month rows."""
    if built is None or grain(filters) == DAY:
        return []
    months, month = [], filters.start.replace(day=1)
    if month < filters.start:
        month = period_end(month, MONTH) + timedelta(days=1)
    while month <= built and period_end(month, MONTH) <= filters.end:
        months.append(month)
        month = period_end(month, MONTH) + timedelta(days=1)
    return months


def rows(
    metric: str | Iterable[str],
    filters: ReportFilters,
    scope: Scope,
    *,
    dated: bool = True,
    keys: Iterable[str] | None = None,
    before: date | None = None,
    built: date | None = None,
) -> Selection:
    """The roll-up rows of a metric (or several) under the filters and the reader's scope.

    `dated` False: every day (before `before`, if given). `built`: the last month with
    month rows (reports.rollup.months_built), for the ranges drawn per month.
    """
    metrics = [metric] if isinstance(metric, str) else list(metric)
    # The team grain has no category, tier, channel or priority to filter by.
    team_grain = not any((filters.category, filters.tier, filters.channel, filters.priority))

    def selected(model):
        found = model.objects.filter(metric__in=metrics)
        if keys is not None:
            found = found.filter(key__in=list(keys))
        return narrow(found, filters, scope)

    def pair(day_model, month_model, day_filter: Q | None, month_range) -> tuple:
        days = selected(day_model)
        if day_filter is not None:
            days = days.filter(day_filter)
        if month_range is None:
            return days, None
        return days, selected(month_model).filter(
            month__gte=month_range[0], month__lte=month_range[1]
        )

    if not dated:
        day_filter, month_range = (Q(day__lt=before) if before else None), None
    else:
        months = _whole_months(filters, built)
        if not months:
            day_filter, month_range = Q(day__gte=filters.start, day__lte=filters.end), None
        else:
            day_filter = Q(day__gte=filters.start, day__lt=months[0])
            day_filter |= Q(day__gt=period_end(months[-1], MONTH), day__lte=filters.end)
            month_range = (months[0], months[-1])
    days, months = pair(DayRollup, MonthRollup, day_filter, month_range)
    if not team_grain:
        return Selection(days, months)
    team_days, team_months = pair(TeamDayRollup, TeamMonthRollup, day_filter, month_range)
    return Selection(days, months, team_days, team_months)


def _grouped(queryset: QuerySet) -> Iterable[dict]:
    """The rows of a values() queryset. On PostgreSQL straight from the cursor: the ORM's
    per-row conversions cost more than the SQL for the tens of thousands of bucket rows of
    a range of durations, and PostgreSQL's values need none (_as_date takes the months)."""
    if connection.vendor != "postgresql":
        return queryset
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # The roll-ups' fields are named as their columns, the annotations as their aliases.
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _as_date(value) -> date:
    # TruncMonth of a DateField gives a date; some backends hand back a datetime.
    return value.date() if hasattr(value, "date") else value


def counts(
    selection: Selection, *by: str, per_period: ReportFilters | None = None
) -> dict[tuple, int]:
    """The count of facts for each value of `by` (and of the period, first, if asked)."""
    size = grain(per_period) if per_period is not None else DAY
    result: dict[tuple, int] = defaultdict(int)
    for part, period in selection.parts(size, by):
        names = list(by)
        if per_period is not None:
            part = part.annotate(period=period)
            names = ["period", *names]
        for row in _grouped(part.values(*names).annotate(n=Sum("count")).order_by()):
            key = tuple(_as_date(row[n]) if n == "period" else row[n] for n in names)
            result[key] += row["n"]
    return result


@dataclass
class Distribution:
    """A merged histogram of durations or scores: (bucket, count) pairs and the exact sum."""

    buckets: dict[int, int] = field(default_factory=dict)
    total: int = 0

    def add(self, bucket: int, count: int, total: int) -> None:
        self.buckets[bucket] = self.buckets.get(bucket, 0) + count
        self.total += int(total or 0)  # a sum of integers (PostgreSQL hands back numeric)

    @property
    def count(self) -> int:
        return sum(self.buckets.values())

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def percentile(self, share: float) -> float | None:
        """Linear between the two nearest values, like PostgreSQL's percentile_cont."""
        n = self.count
        if not n:
            return None
        position = share * (n - 1)
        low, high = math.floor(position), math.ceil(position)
        ordered = sorted(self.buckets.items())

        def value_at(rank: int) -> int:
            seen = 0
            for value, count in ordered:
                seen += count
                if rank < seen:
                    return value
            return ordered[-1][0]

        below = value_at(low)
        return below + (value_at(high) - below) * (position - low)

    @property
    def median(self) -> float | None:
        return self.percentile(0.5)

    @property
    def p90(self) -> float | None:
        return self.percentile(0.9)


def distributions(
    selection: Selection, *by: str, per_period: ReportFilters | None = None
) -> dict[tuple, Distribution]:
    """A Distribution for each value of `by` (and of the period, first, if asked)."""
    size = grain(per_period) if per_period is not None else DAY
    result: dict[tuple, Distribution] = defaultdict(Distribution)
    for part, period in selection.parts(size, (*by, "bucket")):
        names = list(by)
        if per_period is not None:
            part = part.annotate(period=period)
            names = ["period", *names]
        grouped = (
            part.values(*names, "bucket")
            .annotate(n=Sum("count"), sum_total=Sum("total"))
            .order_by()
        )
        for row in _grouped(grouped):
            if row["bucket"] is None:
                continue
            key = tuple(_as_date(row[n]) if n == "period" else row[n] for n in names)
            result[key].add(row["bucket"], row["n"], row["sum_total"])
    return result


def merged(parts: Iterable[Distribution]) -> Distribution:
    whole = Distribution()
    for part in parts:
        for value, count in part.buckets.items():
            whole.buckets[value] = whole.buckets.get(value, 0) + count
        whole.total += part.total
    return whole
