"""Pure functions that compute SLA due times; no database, no clock of their own.

Every function takes the moments it needs and returns aware datetimes in UTC, so the
callers (the ticket clock, the sweep, the tests) decide what "now" is.

The model: a calendar says when the SLA clock *runs*. Targets are amounts of running
time. 24/7 calendars are plain arithmetic; business calendars are walked day by day in
the calendar's own time zone, producing "running windows" as UTC intervals. All
durations are measured between UTC instants, so they are real elapsed time, whatever
the local clocks do around daylight-saving changes.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# A calendar closed for this many local days in a row is taken never to open: the walk
# must end somewhere, and ten years is far beyond any real holiday list.
MAX_CLOSED_DAYS = 3660

_MIDNIGHT = time(0)
_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)
# The one running window of a 24/7 calendar; only ever compared with, never added to.
_END_OF_TIME = datetime.max.replace(tzinfo=UTC)

# A day's windows as (opens, closes); closes is None for "midnight at the end of the day".
_Window = tuple[time, time | None]
_Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Calendar:
    """When the clock runs. No hours at all means 24/7 (exchanges run around the clock).

    `hours` are (weekday 0=Monday, local opening, local closing); a day may have several
    windows (a lunch break), overlapping ones count once, and a closing of time(0) means
    midnight at the end of that day. `holidays` are local dates on which the clock does
    not run at all; holidays without hours mean "24/7 except on holidays".

    Construction checks everything (time zone, weekdays, window order) so that a bad
    calendar fails where it is configured, not in the middle of a sweep.
    """

    time_zone: str = "UTC"
    hours: tuple[tuple[int, time, time], ...] = ()
    holidays: frozenset[date] = frozenset()
    # Derived once here so the day walk does no parsing or sorting per call.
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _week: tuple[tuple[_Window, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:  # ValueError: malformed keys
            raise ValueError(f"unknown time zone: {self.time_zone!r}") from exc
        if any(isinstance(day, datetime) for day in self.holidays):
            raise ValueError("holidays are local dates, not datetimes")
        week: list[list[_Window]] = [[] for _ in range(7)]
        for weekday, opens, closes in self.hours:
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday}")
            if opens.tzinfo is not None or closes.tzinfo is not None:
                raise ValueError("business hours are local wall-clock times without tzinfo")
            end = None if closes == _MIDNIGHT else closes
            if end is not None and opens >= end:
                raise ValueError(f"a window must open before it closes: {opens}–{closes}")
            week[weekday].append((opens, end))
        if not self.hours:
            week = [[(_MIDNIGHT, None)] for _ in range(7)]
        object.__setattr__(self, "_zone", zone)
        # Sorted by opening, so the walk meets windows in time order.
        by_opening = tuple(tuple(sorted(day, key=lambda window: window[0])) for day in week)
        object.__setattr__(self, "_week", by_opening)

    @property
    def is_24_7(self) -> bool:
        """No hours and no holidays: the clock always runs, and the math is plain arithmetic."""
        return not self.hours and not self.holidays


TWENTY_FOUR_SEVEN = Calendar()


def add_business_time(start: datetime, duration: timedelta, calendar: Calendar) -> datetime:
    """The moment `duration` of running time after `start`.

    A start outside business hours begins counting at the next opening. A target used up
    exactly at a closing returns that closing (Friday 17:00, not Monday 09:00): the desk
    had until then. A zero duration returns `start` itself, even outside hours, because
    "no time at all" should not move anything (zero targets are refused by policies).
    """
    return _advance(_utc(start, "start"), _duration(duration), calendar, ())


def business_time_between(start: datetime, end: datetime, calendar: Calendar) -> timedelta:
    """Running time from `start` to `end`; zero if `end` is not after `start`."""
    return _running_time(_utc(start, "start"), _utc(end, "end"), calendar, ())


def due_at(
    start: datetime,
    target: timedelta,
    calendar: Calendar,
    paused: Iterable[tuple[datetime, datetime]] = (),
) -> datetime:
    """`start` plus `target` of running time, not counting `paused` intervals.

    Pauses are when the customer owes an answer; they may overlap, touch, be unsorted or
    lie partly before `start` or outside business hours (then they credit nothing there).
    """
    return _advance(_utc(start, "start"), _duration(target), calendar, _sorted_pauses(paused))


def warning_at(
    start: datetime,
    due: datetime,
    percent: int,
    calendar: Calendar,
    paused: Iterable[tuple[datetime, datetime]] = (),
    target: timedelta | None = None,
) -> datetime:
    """The moment `percent` % of the running time between `start` and `due` has elapsed.

    Measured in running time, so a business-hours warning lands inside business hours
    rather than at 75 % of the wall-clock span (which could be a Sunday night). Paused
    time must not count as running, or the warning comes early: pass the `paused`
    intervals the due time was computed with, or the `target` it was computed from,
    when the pauses were credited one at a time (`credit_pause`) and are not kept. Then
    running time beyond the target is credited pause, and the warning comes when the
    target's last (100 - percent) % remains. If `due` is not after `start`, it is `start`.
    """
    if not 1 <= percent <= 99:
        raise ValueError(f"percent must be 1 to 99, not {percent}")
    start_utc = _utc(start, "start")
    pauses = _sorted_pauses(paused)
    running = _running_time(start_utc, _utc(due, "due"), calendar, pauses)
    elapsed = running * percent / 100
    if target is not None:
        elapsed = max(elapsed, running - _duration(target) * (100 - percent) / 100)
    return _advance(start_utc, elapsed, calendar, pauses)


def credit_pause(
    due: datetime, paused_from: datetime, resumed_at: datetime, calendar: Calendar
) -> datetime:
    """`due` pushed back by the running time that passed while the clock was paused.

    Equals recomputing with `due_at(start, target, calendar, paused=[...])`, which is
    what makes it safe to apply one pause at a time as they end. A pause that began at
    or after `due` credits nothing: the target had already run out (breached stays
    breached).
    """
    due_utc = _utc(due, "due")
    paused_from_utc = _utc(paused_from, "paused_from")
    resumed_at_utc = _utc(resumed_at, "resumed_at")
    if resumed_at_utc < paused_from_utc:
        raise ValueError("a pause cannot end before it starts")
    if paused_from_utc >= due_utc:
        return due_utc
    credit = _running_time(paused_from_utc, resumed_at_utc, calendar, ())
    return _advance(due_utc, credit, calendar, ())


def _utc(moment: datetime, name: str) -> datetime:
    """The same instant in UTC; naive datetimes are refused because their instant is unknown."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC)


def _duration(duration: timedelta) -> timedelta:
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")
    return duration


def _sorted_pauses(paused: Iterable[tuple[datetime, datetime]]) -> list[_Interval]:
    """Pauses as UTC intervals sorted by start, so the walk can cut them out in one pass.

    Overlapping or touching pauses need no merging: the walk never moves backwards, so a
    pause that ends before the point already reached is simply skipped.
    """
    intervals = []
    for paused_from, resumed_at in paused:
        begin, end = _utc(paused_from, "pause start"), _utc(resumed_at, "pause end")
        if end < begin:
            raise ValueError("a pause cannot end before it starts")
        intervals.append((begin, end))
    return sorted(intervals)


def _windows(start: datetime, calendar: Calendar, until: datetime | None) -> Iterator[_Interval]:
    """Running windows from `start` (UTC) onwards, in order, as disjoint UTC intervals.

    Stops after the local day holding `until`, if given; raises ValueError when the
    calendar stays closed for MAX_CLOSED_DAYS days in a row, instead of walking forever.
    """
    if calendar.is_24_7:
        yield start, _END_OF_TIME
        return
    zone, week, holidays = calendar._zone, calendar._week, calendar.holidays
    day = start.astimezone(zone).date()
    last_day = until.astimezone(zone).date() if until is not None else date.max
    # Each window is clamped to start where the previous one ended, so overlapping
    # windows (configured that way, or shifted by a DST gap, see below) count once.
    cursor = start
    closed_days = 0
    while day <= last_day:
        opened = False
        if day not in holidays:
            for opens, closes in week[day.weekday()]:
                # Local wall-clock boundaries become real instants here (fold=0). On the
                # 9-to-17 day this gives 8 real hours on both DST-change days. A window
                # holding the skipped spring hour is short by it (00:00–04:00 is 3 h in
                # London), the repeated autumn hour counts twice (5 h). A boundary that
                # falls inside the gap resolves with the pre-change offset, i.e. as if
                # the clock had not been moved yet; that can make a window end before it
                # starts, or overlap the previous one in real time, so windows are
                # clamped to the cursor and empty ones are dropped.
                window_start = datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
                if closes is None:
                    local_end = datetime.combine(day + _ONE_DAY, _MIDNIGHT, tzinfo=zone)
                else:
                    local_end = datetime.combine(day, closes, tzinfo=zone)
                window_end = local_end.astimezone(UTC)
                window_start = max(window_start, cursor)
                if window_start < window_end:
                    opened = True
                    cursor = window_end
                    yield window_start, window_end
        closed_days = 0 if opened else closed_days + 1
        if closed_days >= MAX_CLOSED_DAYS:
            raise ValueError("calendar never opens")
        day += _ONE_DAY


def _running_windows(
    start: datetime, calendar: Calendar, pauses: list[_Interval], until: datetime | None = None
) -> Iterator[_Interval]:
    """The calendar's windows from `start` with the (sorted) pauses cut out."""
    index = 0
    for window_start, window_end in _windows(start, calendar, until):
        begin = window_start
        while begin < window_end:
            while index < len(pauses) and pauses[index][1] <= begin:
                index += 1
            if index == len(pauses) or pauses[index][0] >= window_end:
                yield begin, window_end
                break
            pause_start, pause_end = pauses[index]
            if pause_start > begin:
                yield begin, pause_start
            begin = pause_end


def _advance(
    start: datetime, duration: timedelta, calendar: Calendar, pauses: list[_Interval]
) -> datetime:
    if not duration:
        return start
    if calendar.is_24_7 and not pauses:
        return start + duration  # start is UTC, so this is real elapsed time
    remaining = duration
    for window_start, window_end in _running_windows(start, calendar, pauses):
        available = window_end - window_start
        # `<=`: a target used up exactly at a closing is due at that closing.
        if remaining <= available:
            return window_start + remaining
        remaining -= available
    raise AssertionError("the window walk ends only by raising")  # pragma: no cover


def _running_time(
    start: datetime, end: datetime, calendar: Calendar, pauses: list[_Interval]
) -> timedelta:
    if end <= start:
        return _ZERO
    if calendar.is_24_7 and not pauses:
        return end - start
    total = _ZERO
    for window_start, window_end in _running_windows(start, calendar, pauses, until=end):
        if window_start >= end:
            break
        total += min(window_end, end) - window_start
    return total
