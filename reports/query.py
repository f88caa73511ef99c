"""How reports read the day roll-ups: filters, periods, counts and percentiles.

Every figure is an aggregate over DayRollup rows selected by metric, day range and the
filters, grouped in the database; what comes back is bounded by the periods and buckets,
never by the number of cases.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils.translation import gettext as _

from reports.models import DayRollup
from reports.selectors import Scope

DAY, WEEK, MONTH = "day", "week", "month"


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
    """Bars per day up to a month, per week up to half a year, else per month."""
    if filters.days <= 31:
        return DAY
    if filters.days <= 186:
        return WEEK
    return MONTH


def period_start(day: date, size: str) -> date:
    if size == WEEK:
        return day - timedelta(days=day.weekday())
    if size == MONTH:
        return day.replace(day=1)
    return day


def period_end(start: date, size: str) -> date:
    if size == WEEK:
        return start + timedelta(days=6)
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
    if size == DAY:
        return first.isoformat()
    if size == MONTH:
        return first.strftime("%Y-%m")
    return _("week of %(day)s") % {"day": first.isoformat()}


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


def rows(
    metric: str | Iterable[str],
    filters: ReportFilters,
    scope: Scope,
    *,
    dated: bool = True,
    keys: Iterable[str] | None = None,
) -> QuerySet[DayRollup]:
    """The roll-up rows of a metric (or several) under the filters and the reader's scope."""
    metrics = [metric] if isinstance(metric, str) else list(metric)
    selected = DayRollup.objects.filter(metric__in=metrics)
    if dated:
        selected = selected.filter(day__gte=filters.start, day__lte=filters.end)
    if keys is not None:
        selected = selected.filter(key__in=list(keys))
    return narrow(selected, filters, scope)


def _period_expression(size: str):
    if size == WEEK:
        return TruncWeek("day")
    if size == MONTH:
        return TruncMonth("day")
    return F("day")


def _as_date(value) -> date:
    # TruncWeek/TruncMonth of a DateField give dates; some backends hand back datetimes.
    return value.date() if hasattr(value, "date") else value


def counts(
    selected: QuerySet[DayRollup], *by: str, per_period: ReportFilters | None = None
) -> dict[tuple, int]:
    """The count of facts for each value of `by` (and of the period, first, if asked)."""
    names = list(by)
    if per_period is not None:
        selected = selected.annotate(period=_period_expression(grain(per_period)))
        names = ["period", *names]
    result: dict[tuple, int] = defaultdict(int)
    for row in selected.values(*names).annotate(n=Sum("count")).order_by():
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
        self.total += total or 0

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
    selected: QuerySet[DayRollup], *by: str, per_period: ReportFilters | None = None
) -> dict[tuple, Distribution]:
    """A Distribution for each value of `by` (and of the period, first, if asked)."""
    names = list(by)
    if per_period is not None:
        selected = selected.annotate(period=_period_expression(grain(per_period)))
        names = ["period", *names]
    grouped = (
        selected.values(*names, "bucket").annotate(n=Sum("count"), total=Sum("total")).order_by()
    )
    result: dict[tuple, Distribution] = defaultdict(Distribution)
    for row in grouped:
        if row["bucket"] is None:
            continue
        key = tuple(_as_date(row[n]) if n == "period" else row[n] for n in names)
        result[key].add(row["bucket"], row["n"], row["total"])
    return result


def merged(parts: Iterable[Distribution]) -> Distribution:
    whole = Distribution()
    for part in parts:
        for value, count in part.buckets.items():
            whole.buckets[value] = whole.buckets.get(value, 0) + count
        whole.total += part.total
    return whole
