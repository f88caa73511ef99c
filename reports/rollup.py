"""The workers' side of the reports: keep each case's facts and their day roll-ups current.

`fold` (the beat, every few minutes) reads the case events recorded since its watermark,
recomputes the facts of every case they touched (reports/facts.py), in bounded batches,
and re-counts only the days whose facts changed. `rebuild` (the backfill command) does the
same for every case with a fact or an event in a range of days, or for everything. Both
end in the same state: the roll-ups are the facts counted, and the facts are a function
of the cases' rows, so a second run changes nothing and a backfill equals the folds.

Events are read again from a few minutes before the watermark, so a transaction that
committed its events after a later one was read is never missed; reading an event twice
only recomputes the same facts. The state row's lock keeps the fold to one worker at a time.
"""

from __future__ import annotations

import io
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from escalation.bulk import insert_rows
from reports import facts
from reports.models import (
    CaseFact,
    DayRollup,
    FoldState,
    MonthRollup,
    TeamDayRollup,
    TeamMonthRollup,
)
from tickets.models import TicketEvent

FOLD = "facts"
MONTHS = "months"  # its watermark: the first day of the last month with month rows
# Events recorded this long before the watermark are read again (see the module's note).
OVERLAP = timedelta(minutes=10)
# One fold reads at most this much of the event history; a backlog takes several runs.
WINDOW = timedelta(days=1)
BATCH = 2000
_GROUP = ["day", "metric", "key", "category_id", "team_id", "tier", "channel", "priority"]
_GROUP += ["bucket", "late"]
_ROLLUP_FIELDS = [*_GROUP, "count", "total"]
# The team grain (TeamDayRollup): the dimensions a report without filters groups by.
_TEAM_GROUP = ["metric", "key", "team_id", "bucket", "late"]


@dataclass
class FoldResult:
    cases: int = 0
    changed: int = 0
    days: set[date] = field(default_factory=set)
    until: datetime | None = None

    def __bool__(self) -> bool:
        return bool(self.cases)


def _copy_line(row: tuple) -> str:
    """A fact row as a line of COPY's text format (facts.FIELDS order). Keys and dimension
    codes are slugs, so nothing needs escaping; None is \\N."""
    ticket, metric, key, day, category, team, tier, channel, priority, kept, value, late = row

    def n(cell):
        return "\\N" if cell is None else cell

    return (
        f"{ticket}\t{metric}\t{key}\t{day}\t{n(category)}\t{n(team)}\t{tier}\t{channel}\t"
        f"{priority}\t{n(kept)}\t{n(value)}\t{'t' if late else 'f'}\n"
    )


def write_facts(rows: list[tuple]) -> None:
    """Insert fact rows (facts.FIELDS order): PostgreSQL's COPY, which takes a backfill's
    millions of rows several times faster than an INSERT's values; elsewhere insert_rows."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        insert_rows(CaseFact, facts.FIELDS, rows)
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(CaseFact._meta.get_field(n).column) for n in facts.FIELDS)
    text = io.StringIO("".join(map(_copy_line, rows)))
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {quote(CaseFact._meta.db_table)} ({columns}) FROM STDIN", text
        )


def _stored(ticket_ids: Sequence[int]) -> dict[int, list[tuple[int, tuple]]]:
    """Each case's stored facts as (id, row)."""
    stored: dict[int, list[tuple[int, tuple]]] = {ticket_id: [] for ticket_id in ticket_ids}
    for fact_id, *row in CaseFact.objects.filter(ticket_id__in=ticket_ids).values_list(
        "id", *facts.FIELDS
    ):
        stored[row[0]].append((fact_id, tuple(row)))
    return stored


def refresh_cases(ticket_ids: Iterable[int], *, compare: bool = True) -> tuple[int, set[date]]:
    """Recompute these cases' facts; returns how many changed and the days that changed.

    Only the facts that differ are written: those gone are deleted, the new ones inserted
    (a case that got a reply gains one fact; the rest stay as they are). With `compare`
    False (a full rebuild into an empty table) nothing is read back first.
    """
    changed_days: set[date] = set()
    changed = 0
    ids = sorted(set(ticket_ids))
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        new = facts.facts_for(batch)
        if not compare:
            rows = [row for ticket_id in batch for row in new[ticket_id]]
            write_facts(rows)
            changed += sum(1 for ticket_id in batch if new[ticket_id])
            continue
        old = _stored(batch)
        doomed, rows = [], []
        for ticket_id in batch:
            after = Counter(new[ticket_id])
            before = Counter(row for _id, row in old[ticket_id])
            if before == after:
                continue
            changed += 1
            gone, added = before - after, after - before
            # A day changed if a fact on it appeared, went or moved.
            changed_days |= {row[3] for row in (*gone, *added)}
            for fact_id, row in old[ticket_id]:
                if gone[row]:
                    gone[row] -= 1
                    doomed.append(fact_id)
            rows += added.elements()
        if doomed:
            CaseFact.objects.filter(pk__in=doomed).delete()
        write_facts(rows)
    return changed, changed_days


def _days_sql(days: Sequence[date] | None) -> tuple[str, list]:
    queryset = CaseFact.objects.all()
    if days is not None:
        queryset = queryset.filter(day__in=days)
    grouped = queryset.values(*_GROUP).annotate(count=Count("id"), total=Sum("value"))
    return grouped.query.sql_with_params()


# Replaced whenever roll-up rows are counted again: reports.catalogue caches a report's
# result under it, so a cached report never shows counts older than the roll-ups.
VERSION_KEY = "reports-rollup-version"


def rollups_changed() -> None:
    """A new roll-up version, now and again at commit (a report built between the two would
    be cached from the old rows)."""

    def replace() -> None:
        cache.set(VERSION_KEY, uuid.uuid4().hex, None)

    replace()
    transaction.on_commit(replace)


def recount_days(days: Iterable[date] | None) -> None:
    """Count the facts of these days (all days: None) into their roll-up rows again, and
    the months they are in, where those have month rows."""
    if days is not None:
        days = sorted(set(days))
        if not days:
            return
    _recount_day_rows(days)
    rollups_changed()
    built = months_built()
    if built is None:
        return
    if days is None:
        MonthRollup.objects.all().delete()
        TeamMonthRollup.objects.all().delete()
        first = DayRollup.objects.order_by("day").values_list("day", flat=True).first()
        recount_months(_months_between(first, built) if first else [])
    else:
        recount_months({d.replace(day=1) for d in days if d <= _last_day(built)})


def _recount_day_rows(days: list[date] | None) -> None:
    chunks = [days[i : i + 200] for i in range(0, len(days), 200)] if days else [None]
    quote = connection.ops.quote_name
    table = quote(DayRollup._meta.db_table)
    columns = ", ".join(quote(DayRollup._meta.get_field(name).column) for name in _ROLLUP_FIELDS)
    with connection.cursor() as cursor:
        for chunk in chunks:
            doomed = DayRollup.objects.all()
            if chunk is not None:
                doomed = doomed.filter(day__in=chunk)
            doomed.delete()
            select, params = _days_sql(chunk)
            cursor.execute(f"INSERT INTO {table} ({columns}) {select}", params)
            _count_team_rows(cursor, TeamDayRollup, "day", DayRollup.objects.all(), chunk)


def _count_team_rows(cursor, model, period: str, source, periods) -> None:
    """Count `source`'s rows of these periods (all: None) into `model`, by team alone."""
    doomed = model.objects.all()
    if periods is not None:
        doomed = doomed.filter(**{f"{period}__in": periods})
        source = source.filter(**{f"{period}__in": periods})
    doomed.delete()
    quote = connection.ops.quote_name
    names = [period, *_TEAM_GROUP, "count", "total"]
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    grouped = source.values(period, *_TEAM_GROUP).annotate(n=Sum("count"), sum_total=Sum("total"))
    select, params = grouped.query.sql_with_params()
    cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {select}", params)


def _last_day(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _months_between(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = _last_day(month) + timedelta(days=1)
    return months


def months_built() -> date | None:
    """The last month that has month rows (every month before it has them too)."""
    mark = FoldState.objects.filter(name=MONTHS).values_list("watermark", flat=True).first()
    return timezone.localdate(mark) if mark else None


def recount_months(months: Iterable[date]) -> None:
    """Count these months' day rows into their month rows again (one statement each)."""
    quote = connection.ops.quote_name
    table = quote(MonthRollup._meta.db_table)
    names = ["month", *(name for name in _ROLLUP_FIELDS if name != "day")]
    columns = ", ".join(quote(MonthRollup._meta.get_field(name).column) for name in names)
    group = [name for name in _GROUP if name != "day"]
    rollups_changed()
    with connection.cursor() as cursor:
        for month in sorted(set(months)):
            MonthRollup.objects.filter(month=month).delete()
            grouped = (
                DayRollup.objects.filter(day__gte=month, day__lte=_last_day(month))
                .values(*group)
                .annotate(n=Sum("count"), sum_total=Sum("total"))
            )
            select, params = grouped.query.sql_with_params()
            # The month is the first column: a constant in front of the grouped columns.
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT %s, g.* FROM ({select}) g",
                [month, *params],
            )
            _count_team_rows(cursor, TeamMonthRollup, "month", MonthRollup.objects.all(), [month])


def build_months(today: date) -> list[date]:
    """Give every month that has ended its month rows, once (the month after the last
    built, up to last month); returns the months built."""
    last_complete = today.replace(day=1) - timedelta(days=1)
    built = months_built()
    if built is None:
        first = DayRollup.objects.order_by("day").values_list("day", flat=True).first()
        if first is None or first > last_complete:
            return []
        todo = _months_between(first, last_complete)
    else:
        todo = _months_between(_last_day(built) + timedelta(days=1), last_complete)
    if not todo:
        return []
    recount_months(todo)
    mark = timezone.make_aware(datetime.combine(todo[-1], datetime.min.time()))
    FoldState.objects.update_or_create(name=MONTHS, defaults={"watermark": mark})
    return todo


def touched_cases(since: datetime, until: datetime) -> list[int]:
    return list(
        TicketEvent.objects.filter(created_at__gte=since, created_at__lt=until)
        .order_by()
        .values_list("ticket_id", flat=True)
        .distinct()
    )


def _lock_state() -> FoldState | None:
    """The fold's state row, locked for this transaction; None if another fold holds it."""
    FoldState.objects.get_or_create(name=FOLD)
    return FoldState.objects.select_for_update(skip_locked=True).filter(name=FOLD).first()


def fold(*, now: datetime | None = None, time_budget: float = 50.0) -> FoldResult:
    """Fold the events since the watermark, a window at a time, until caught up or out of time."""
    now = now or timezone.now()
    total = FoldResult()
    deadline = time.monotonic() + time_budget
    while time.monotonic() < deadline:
        result = fold_window(now=now)
        total.cases += result.cases
        total.changed += result.changed
        total.days |= result.days
        total.until = result.until or total.until
        if result.until is None or result.until >= now:
            break
    return total


@transaction.atomic
def fold_window(*, now: datetime) -> FoldResult:
    """One window of events (at most WINDOW long), in one transaction."""
    state = _lock_state()
    result = FoldResult()
    if state is None:
        return result  # another worker is folding
    if state.watermark is None:
        # A fresh installation starts from its first event; a backfill can do the rest.
        first = TicketEvent.objects.order_by("created_at").values_list("created_at", flat=True)
        state.watermark = first.first() or now
    since = state.watermark - OVERLAP
    until = min(now, state.watermark + WINDOW)
    if until <= state.watermark:
        result.until = state.watermark
        return result
    touched = touched_cases(since, until)
    result.cases = len(touched)
    result.changed, result.days = refresh_cases(touched)
    recount_days(result.days)
    state.watermark = result.until = until
    state.save(update_fields=["watermark"])
    if result.until >= now:
        # Caught up: a month that has just ended gets its month rows.
        build_months(timezone.localdate(now))
    return result


def _analyze() -> None:
    """Fresh statistics for the tables a full rebuild refilled: without them PostgreSQL's
    planner takes the facts table for empty and reads all of it for one case's facts."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (CaseFact, DayRollup, MonthRollup, TeamDayRollup, TeamMonthRollup):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


@transaction.atomic
def rebuild(*, start: date | None = None, end: date | None = None) -> FoldResult:
    """The backfill: recompute the facts of every case, or of every case with a fact or an
    event between `start` and `end` (inclusive), and count the days again.

    The folds go on from their watermark (on a fresh installation, from now).
    """
    from tickets.models import Ticket

    state = _lock_state()
    if state is None:
        raise RuntimeError("A fold is running; try again when it is done.")
    if state.watermark is None:
        state.watermark = timezone.now()
        state.save(update_fields=["watermark"])
    result = FoldResult()
    if start is None and end is None:
        CaseFact.objects.all().delete()
        ids = list(Ticket.objects.order_by("pk").values_list("pk", flat=True))
        result.cases = len(ids)
        result.changed, result.days = refresh_cases(ids, compare=False)
        recount_days(None)
        build_months(timezone.localdate())
        _analyze()
        return result
    if start is None or end is None or end < start:
        raise ValueError("A range needs a start and an end, the end not before the start.")
    begin = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    finish = timezone.make_aware(datetime.combine(end + timedelta(days=1), datetime.min.time()))
    ids = set(touched_cases(begin, finish))
    ids |= set(
        CaseFact.objects.filter(day__gte=start, day__lte=end).values_list("ticket_id", flat=True)
    )
    result.cases = len(ids)
    result.changed, result.days = refresh_cases(ids)
    # Every day of the range is counted again, whether or not a fact on it changed.
    every_day = {start + timedelta(days=n) for n in range((end - start).days + 1)}
    recount_days(result.days | every_day)
    return result
