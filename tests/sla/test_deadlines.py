"""The SLA math in sla/deadlines.py: pure functions, no database, no clock.

Dates are chosen so the weekday and the daylight-saving state are known:
June 2025 has no DST change (London is UTC+1, Shanghai UTC+8, Monday is 2 June);
Europe/London changes on Sunday 30 March and Sunday 26 October 2025 (at 01:00 UTC),
America/New_York on Sunday 9 March and Sunday 2 November 2025 (at 02:00 local).
"""

import random
import time as stopwatch
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.deadlines import (
    TWENTY_FOUR_SEVEN,
    Calendar,
    add_business_time,
    business_time_between,
    credit_pause,
    due_at,
    warning_at,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")

H = timedelta(hours=1)
S = timedelta(seconds=1)

WEEKDAYS = range(5)
OFFICE = Calendar("Europe/London", tuple((d, time(9), time(17)) for d in WEEKDAYS))
LUNCH_BREAK = Calendar(
    "Asia/Shanghai",
    tuple((d, *w) for d in WEEKDAYS for w in ((time(9), time(12)), (time(13), time(18)))),
)
# Business hours on Sundays too, so the DST-change days (all Sundays) have open time.
DAILY_LONDON = Calendar("Europe/London", tuple((d, time(9), time(17)) for d in range(7)))
DAILY_NEW_YORK = Calendar("America/New_York", tuple((d, time(9), time(17)) for d in range(7)))
# Windows that contain the 01:00–02:00 hour that is skipped or repeated.
NIGHTS_LONDON = Calendar("Europe/London", tuple((d, time(0), time(4)) for d in range(7)))
NIGHTS_NEW_YORK = Calendar("America/New_York", tuple((d, time(0), time(4)) for d in range(7)))


def local(zone: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=zone, fold=fold)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- Calendar ----------------------------------------------------------------------------


def test_only_a_calendar_without_hours_and_holidays_is_24_7():
    assert TWENTY_FOUR_SEVEN.is_24_7
    assert Calendar("Europe/London").is_24_7
    assert not OFFICE.is_24_7
    assert not Calendar(holidays=frozenset({date(2025, 12, 25)})).is_24_7


def test_calendars_are_hashable_values():
    same = Calendar("Europe/London", tuple((d, time(9), time(17)) for d in WEEKDAYS))
    assert same == OFFICE
    assert {OFFICE: "office"}[same] == "office"


def test_overlapping_windows_on_a_day_are_merged_not_counted_twice():
    calendar = Calendar(hours=((0, time(9), time(12)), (0, time(11), time(14))))
    assert business_time_between(utc(2025, 6, 2), utc(2025, 6, 3), calendar) == 5 * H


def test_a_closing_of_midnight_means_the_end_of_that_day():
    calendar = Calendar(hours=((0, time(22), time(0)),))
    assert add_business_time(utc(2025, 6, 2, 21), 2 * H, calendar) == utc(2025, 6, 3)
    assert business_time_between(utc(2025, 6, 2), utc(2025, 6, 9), calendar) == 2 * H


# --- 24/7 ----------------------------------------------------------------------------------


def test_24_7_is_plain_arithmetic_returned_in_utc():
    start = local(SHANGHAI, 2025, 6, 2, 10)
    due = add_business_time(start, 24 * H, TWENTY_FOUR_SEVEN)
    assert due == utc(2025, 6, 3, 2)
    assert due.tzinfo is UTC
    assert business_time_between(start, due, TWENTY_FOUR_SEVEN) == 24 * H


@pytest.mark.parametrize(
    ("start", "expected_local_hour"),
    [
        (local(LONDON, 2025, 3, 29, 12), 13),  # spring forward: the clocks read an hour later
        (local(LONDON, 2025, 10, 25, 12), 11),  # fall back
        (local(NEW_YORK, 2025, 3, 8, 12), 13),
        (local(NEW_YORK, 2025, 11, 1, 12), 11),
    ],
)
def test_24_7_across_dst_is_real_elapsed_time(start, expected_local_hour):
    # Aware arithmetic in a local zone would be wall-clock (always 12:00); the SLA must not be.
    for calendar in (TWENTY_FOUR_SEVEN, Calendar(start.tzinfo.key)):
        due = add_business_time(start, 24 * H, calendar)
        assert due - start == 24 * H
        assert due.astimezone(start.tzinfo).hour == expected_local_hour


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        (LONDON, date(2025, 3, 30), 23),
        (LONDON, date(2025, 10, 26), 25),
        (NEW_YORK, date(2025, 3, 9), 23),
        (NEW_YORK, date(2025, 11, 2), 25),
    ],
)
def test_24_7_local_dst_day_is_23_or_25_running_hours(zone, day, hours):
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    assert business_time_between(midnight, next_midnight, TWENTY_FOUR_SEVEN) == hours * H


def test_holidays_without_hours_mean_24_7_except_on_holidays():
    calendar = Calendar(holidays=frozenset({date(2025, 12, 25)}))
    start = utc(2025, 12, 24, 12)
    assert add_business_time(start, 12 * H, calendar) == utc(2025, 12, 25)
    assert add_business_time(start, 12 * H + S, calendar) == utc(2025, 12, 26, 0, 0, 1)
    assert add_business_time(start, 24 * H, calendar) == utc(2025, 12, 26, 12)


# --- business hours: boundaries ------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (8 * H - S, local(LONDON, 2025, 6, 2, 16, 59, 59)),
        (8 * H, local(LONDON, 2025, 6, 2, 17)),  # used up at the closing: due at the closing
        (8 * H + S, local(LONDON, 2025, 6, 3, 9, 0, 1)),
    ],
)
def test_target_ending_at_the_close_one_second_before_and_after(duration, expected):
    start = local(LONDON, 2025, 6, 2, 9)
    assert add_business_time(start, duration, OFFICE) == expected
    assert business_time_between(start, expected, OFFICE) == duration


def test_start_before_opening_counts_from_the_opening():
    start = local(LONDON, 2025, 6, 2, 7, 30)
    assert add_business_time(start, H, OFFICE) == local(LONDON, 2025, 6, 2, 10)
    assert business_time_between(start, local(LONDON, 2025, 6, 2, 9, 30), OFFICE) == H / 2


def test_start_at_the_close_counts_from_the_next_opening():
    assert add_business_time(local(LONDON, 2025, 6, 2, 17), H, OFFICE) == local(
        LONDON, 2025, 6, 3, 10
    )
    assert add_business_time(local(LONDON, 2025, 6, 2, 16, 59, 59), S, OFFICE) == local(
        LONDON, 2025, 6, 2, 17
    )


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (local(LONDON, 2025, 6, 6, 19), local(LONDON, 2025, 6, 9, 11)),  # Friday evening
        (local(LONDON, 2025, 6, 6, 16), local(LONDON, 2025, 6, 9, 10)),  # an hour left Friday
        (local(LONDON, 2025, 6, 7, 12), local(LONDON, 2025, 6, 9, 11)),  # Saturday
    ],
)
def test_weekend_does_not_run(start, expected):
    assert add_business_time(start, 2 * H, OFFICE) == expected


def test_start_during_the_lunch_break_counts_from_the_afternoon_opening():
    start = local(SHANGHAI, 2025, 6, 2, 12, 30)
    assert add_business_time(start, H, LUNCH_BREAK) == local(SHANGHAI, 2025, 6, 2, 14)


def test_lunch_break_does_not_run():
    start = local(SHANGHAI, 2025, 6, 2, 11)
    assert add_business_time(start, H, LUNCH_BREAK) == local(SHANGHAI, 2025, 6, 2, 12)
    assert add_business_time(start, 2 * H, LUNCH_BREAK) == local(SHANGHAI, 2025, 6, 2, 14)
    assert business_time_between(start, local(SHANGHAI, 2025, 6, 2, 14), LUNCH_BREAK) == 2 * H
    assert business_time_between(
        local(SHANGHAI, 2025, 6, 2), local(SHANGHAI, 2025, 6, 3), LUNCH_BREAK
    ) == (8 * H)


def test_zero_duration_returns_start_unchanged_even_outside_hours():
    saturday = local(LONDON, 2025, 6, 7, 12)
    assert add_business_time(saturday, timedelta(0), OFFICE) == saturday
    assert due_at(saturday, timedelta(0), OFFICE) == saturday


def test_business_time_between_is_zero_when_end_is_not_after_start():
    start = local(LONDON, 2025, 6, 2, 10)
    assert business_time_between(start, start, OFFICE) == timedelta(0)
    assert business_time_between(start, start - H, OFFICE) == timedelta(0)
    assert business_time_between(start, start - H, TWENTY_FOUR_SEVEN) == timedelta(0)


# --- holidays ------------------------------------------------------------------------------

OFFICE_WITH_TUESDAY_OFF = Calendar(OFFICE.time_zone, OFFICE.hours, frozenset({date(2025, 6, 3)}))


def test_holiday_stops_the_clock_for_the_whole_day():
    start = local(LONDON, 2025, 6, 2, 16)
    assert add_business_time(start, 2 * H, OFFICE_WITH_TUESDAY_OFF) == local(LONDON, 2025, 6, 4, 10)


def test_holiday_on_the_due_day_pushes_the_due_time_to_the_next_open_day():
    start = local(LONDON, 2025, 6, 2, 9)
    # Without the holiday this is Tuesday 17:00.
    assert add_business_time(start, 16 * H, OFFICE) == local(LONDON, 2025, 6, 3, 17)
    assert add_business_time(start, 16 * H, OFFICE_WITH_TUESDAY_OFF) == local(
        LONDON, 2025, 6, 4, 17
    )


def test_start_on_a_holiday_before_a_weekend():
    good_friday = Calendar(OFFICE.time_zone, OFFICE.hours, frozenset({date(2025, 6, 6)}))
    start = local(LONDON, 2025, 6, 6, 10)
    assert add_business_time(start, H, good_friday) == local(LONDON, 2025, 6, 9, 10)
    assert business_time_between(start, local(LONDON, 2025, 6, 9, 10), good_friday) == H


def test_holidays_are_local_dates():
    # 23:30 UTC on 2 June is already 3 June in Shanghai: that local date is the holiday.
    # Read as a UTC date, the two hours would be used up by 17:00 UTC on 2 June.
    calendar = Calendar("Asia/Shanghai", holidays=frozenset({date(2025, 6, 3)}))
    assert add_business_time(utc(2025, 6, 2, 15), 2 * H, calendar) == utc(2025, 6, 3, 17)


# --- business hours across daylight saving -----------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "day"),
    [
        (DAILY_LONDON, date(2025, 3, 30)),
        (DAILY_LONDON, date(2025, 10, 26)),
        (DAILY_NEW_YORK, date(2025, 3, 9)),
        (DAILY_NEW_YORK, date(2025, 11, 2)),
    ],
)
def test_nine_to_five_is_eight_hours_on_dst_change_days(calendar, day):
    zone = ZoneInfo(calendar.time_zone)
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    assert business_time_between(midnight, next_midnight, calendar) == 8 * H
    assert add_business_time(midnight, 8 * H, calendar) == datetime.combine(
        day, time(17), tzinfo=zone
    )


@pytest.mark.parametrize(
    ("calendar", "day", "running"),
    [
        (NIGHTS_LONDON, date(2025, 3, 30), 3 * H),  # 01:00–02:00 never happened
        (NIGHTS_LONDON, date(2025, 10, 26), 5 * H),  # 01:00–02:00 happened twice
        (NIGHTS_NEW_YORK, date(2025, 3, 9), 3 * H),  # 02:00–03:00 never happened
        (NIGHTS_NEW_YORK, date(2025, 11, 2), 5 * H),  # 01:00–02:00 happened twice
    ],
)
def test_window_holding_the_dst_change_counts_real_elapsed_time(calendar, day, running):
    zone = ZoneInfo(calendar.time_zone)
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    assert business_time_between(midnight, next_midnight, calendar) == running
    four = datetime.combine(day, time(4), tzinfo=zone)
    assert add_business_time(midnight, running, calendar) == four
    assert add_business_time(midnight, running + S, calendar) == next_midnight + S


def test_repeated_autumn_hour_runs_twice():
    midnight = local(LONDON, 2025, 10, 26)
    first_half_past_one = add_business_time(midnight, 1.5 * H, NIGHTS_LONDON)
    second_half_past_one = add_business_time(midnight, 2.5 * H, NIGHTS_LONDON)
    # Compared in UTC: Python never calls an ambiguous local time equal to another zone's.
    assert first_half_past_one == utc(2025, 10, 26, 0, 30)
    assert second_half_past_one == utc(2025, 10, 26, 1, 30)
    for moment, fold in ((first_half_past_one, 0), (second_half_past_one, 1)):
        on_the_wall = moment.astimezone(LONDON)
        assert (on_the_wall.hour, on_the_wall.minute, on_the_wall.fold) == (1, 30, fold)


def test_office_hours_over_the_spring_forward_weekend():
    # Friday 16:00 GMT + 2 h: one hour on Friday, one on Monday from 09:00 BST (08:00 UTC).
    start = local(LONDON, 2025, 3, 28, 16)
    assert add_business_time(start, 2 * H, OFFICE) == utc(2025, 3, 31, 9)
    assert business_time_between(start, utc(2025, 3, 31, 9), OFFICE) == 2 * H


def test_office_hours_over_the_fall_back_weekend():
    start = local(NEW_YORK, 2025, 10, 31, 16)
    new_york_office = Calendar("America/New_York", OFFICE.hours)
    # Monday 09:00 EST is 14:00 UTC; on Friday it was EDT (17:00 local = 21:00 UTC).
    assert add_business_time(start, 2 * H, new_york_office) == utc(2025, 11, 3, 15)


def test_windows_shifted_into_each_other_by_the_gap_are_not_counted_twice():
    # 01:50 does not exist on 30 March in London; fold=0 reads it with the GMT offset
    # (01:50 UTC), later than 02:10 BST (01:10 UTC). The overlap must count once.
    calendar = Calendar("Europe/London", ((6, time(0), time(1, 50)), (6, time(2, 10), time(3))))
    midnight = local(LONDON, 2025, 3, 30)
    assert business_time_between(midnight, midnight + 24 * H, calendar) == 2 * H


def test_window_inside_the_gap_that_ends_before_it_starts_is_empty():
    calendar = Calendar("Europe/London", ((6, time(1, 50), time(2, 10)),))
    midnight = local(LONDON, 2025, 3, 30)
    assert business_time_between(midnight, midnight + 24 * H, calendar) == timedelta(0)
    assert add_business_time(midnight, timedelta(minutes=20), calendar) == local(
        LONDON, 2025, 4, 6, 2, 10
    )


# --- due_at with pauses -----------------------------------------------------------------


def test_due_at_without_pauses_is_add_business_time():
    start = local(LONDON, 2025, 6, 6, 15)
    assert due_at(start, 24 * H, OFFICE) == add_business_time(start, 24 * H, OFFICE)


def test_one_pause_moves_the_due_time_back_by_its_length():
    start = utc(2025, 6, 2)
    pause = (start + 2 * H, start + 6 * H)
    assert due_at(start, 24 * H, TWENTY_FOUR_SEVEN, paused=[pause]) == start + 28 * H


def test_overlapping_touching_unsorted_pauses_count_once():
    start = utc(2025, 6, 2)
    pauses = [
        (start + 5 * H, start + 8 * H),
        (start + 2 * H, start + 6 * H),
        (start + 8 * H, start + 9 * H),
    ]
    assert due_at(start, 24 * H, TWENTY_FOUR_SEVEN, paused=pauses) == start + 31 * H


def test_pause_before_start_and_after_due_credit_only_their_overlap():
    start = utc(2025, 6, 2)
    pauses = [(start - 5 * H, start + H), (start + 30 * H, start + 40 * H)]
    assert due_at(start, 24 * H, TWENTY_FOUR_SEVEN, paused=pauses) == start + 25 * H


def test_pause_entirely_outside_business_hours_credits_nothing():
    start = local(LONDON, 2025, 6, 2, 9)
    overnight = (local(LONDON, 2025, 6, 2, 18), local(LONDON, 2025, 6, 3, 8))
    assert due_at(start, 16 * H, OFFICE, paused=[overnight]) == local(LONDON, 2025, 6, 3, 17)


def test_pause_partly_in_business_hours_credits_the_business_part():
    start = local(LONDON, 2025, 6, 2, 9)
    pause = (local(LONDON, 2025, 6, 2, 16), local(LONDON, 2025, 6, 3, 10))  # 1 h + 1 h
    assert due_at(start, 16 * H, OFFICE, paused=[pause]) == local(LONDON, 2025, 6, 4, 11)


def test_target_used_up_exactly_when_a_pause_starts_is_due_then():
    start = utc(2025, 6, 2)
    pause = (start + 24 * H, start + 30 * H)
    assert due_at(start, 24 * H, TWENTY_FOUR_SEVEN, paused=[pause]) == start + 24 * H


# --- credit_pause ------------------------------------------------------------------------


def test_credit_pause_moves_due_back_by_running_time_of_the_pause():
    start = local(LONDON, 2025, 6, 2, 9)
    due = due_at(start, 16 * H, OFFICE)  # Tuesday 17:00
    paused_from, resumed_at = local(LONDON, 2025, 6, 2, 16), local(LONDON, 2025, 6, 3, 10)
    credited = credit_pause(due, paused_from, resumed_at, OFFICE)
    assert credited == local(LONDON, 2025, 6, 4, 11)
    assert credited == due_at(start, 16 * H, OFFICE, paused=[(paused_from, resumed_at)])


def test_pause_begun_after_the_due_time_credits_nothing():
    start = utc(2025, 6, 2)
    due = due_at(start, 4 * H, TWENTY_FOUR_SEVEN)
    assert credit_pause(due, due + H, due + 5 * H, TWENTY_FOUR_SEVEN) == due
    assert credit_pause(due, due, due + 5 * H, TWENTY_FOUR_SEVEN) == due


def test_pause_outlasting_the_due_time_resumes_with_what_was_left():
    start = local(LONDON, 2025, 6, 2, 9)
    due = due_at(start, 8 * H, OFFICE)  # Monday 17:00
    paused_from, resumed_at = local(LONDON, 2025, 6, 2, 15), local(LONDON, 2025, 6, 4, 12)
    # Two hours were left at 15:00; they run from Wednesday 12:00.
    assert credit_pause(due, paused_from, resumed_at, OFFICE) == local(LONDON, 2025, 6, 4, 14)


CALENDARS = {
    "24/7 UTC": TWENTY_FOUR_SEVEN,
    "24/7 London": Calendar("Europe/London"),
    "office London": OFFICE,
    "office London, Tuesday off": OFFICE_WITH_TUESDAY_OFF,
    "lunch break Shanghai": LUNCH_BREAK,
    "daily New York": DAILY_NEW_YORK,
    "nights London": NIGHTS_LONDON,
    "holidays only New York": Calendar(
        "America/New_York", holidays=frozenset({date(2025, 3, 10), date(2025, 11, 3)})
    ),
}
every_calendar = pytest.mark.parametrize("calendar", list(CALENDARS.values()), ids=list(CALENDARS))


def random_moment(rng: random.Random) -> datetime:
    """Any second in 2025 (which holds every DST change used above)."""
    return utc(2025, 1, 1) + timedelta(seconds=rng.randrange(365 * 24 * 3600))


def random_duration(rng: random.Random, most: timedelta = 120 * H) -> timedelta:
    return timedelta(seconds=rng.randrange(int(most.total_seconds())))


@every_calendar
def test_credit_pause_one_at_a_time_equals_due_at_with_all_pauses(calendar):
    rng = random.Random(20250602)
    for _ in range(200):
        start = random_moment(rng)
        target = random_duration(rng) + S
        due = due_at(start, target, calendar)
        pauses = []
        moment = start
        for _ in range(rng.randrange(1, 4)):
            paused_from = moment + random_duration(rng, 48 * H)
            resumed_at = paused_from + random_duration(rng, 72 * H)
            pauses.append((paused_from, resumed_at))
            due = credit_pause(due, paused_from, resumed_at, calendar)
            moment = resumed_at
        assert due == due_at(start, target, calendar, paused=pauses), (start, target, pauses)


# --- warning_at ------------------------------------------------------------------------


def test_warning_at_75_percent_of_24_hours_is_18_hours_after_start():
    start = utc(2025, 6, 2, 10)
    assert warning_at(start, start + 24 * H, 75, TWENTY_FOUR_SEVEN) == start + 18 * H


def test_business_hours_warning_lands_inside_business_hours():
    start = local(LONDON, 2025, 6, 6, 9)  # Friday
    due = due_at(start, 16 * H, OFFICE)  # Monday 17:00
    warning = warning_at(start, due, 75, OFFICE)
    # 12 running hours: 8 on Friday, 4 on Monday. Wall-clock 75 % would be Sunday 21:00.
    assert warning == local(LONDON, 2025, 6, 9, 13)
    assert warning_at(start, due, 25, OFFICE) == local(LONDON, 2025, 6, 6, 13)


def test_warning_with_pauses_counts_only_running_time():
    start = utc(2025, 6, 2)
    pauses = [(start + 2 * H, start + 6 * H)]
    due = due_at(start, 24 * H, TWENTY_FOUR_SEVEN, paused=pauses)
    assert warning_at(start, due, 75, TWENTY_FOUR_SEVEN, paused=pauses) == start + 22 * H
    assert warning_at(start, due, 75, TWENTY_FOUR_SEVEN) == start + 21 * H


def test_warning_after_a_credited_pause_waits_for_the_paused_time_too():
    # The pause (4 h, before the warning point) was credited to `due` and not kept:
    # the target tells how much of the span was paused.
    start = utc(2025, 6, 2)
    due = credit_pause(start + 24 * H, start + 2 * H, start + 6 * H, TWENTY_FOUR_SEVEN)
    assert warning_at(start, due, 75, TWENTY_FOUR_SEVEN, target=24 * H) == start + 22 * H
    # Without a pause the target changes nothing; a due time short of it warns by the span.
    assert warning_at(start, start + 24 * H, 75, OFFICE, target=24 * H) == warning_at(
        start, start + 24 * H, 75, OFFICE
    )
    assert warning_at(start, start + 8 * H, 50, TWENTY_FOUR_SEVEN, target=24 * H) == start + 4 * H


def test_business_hours_warning_after_a_credited_pause_lands_in_business_hours():
    start = local(LONDON, 2025, 6, 6, 9)  # Friday
    due = due_at(start, 16 * H, OFFICE)  # Monday 17:00
    # Paused Friday 10:00 to 12:00: two running hours credited, due Tuesday 11:00.
    due = credit_pause(due, local(LONDON, 2025, 6, 6, 10), local(LONDON, 2025, 6, 6, 12), OFFICE)
    assert due == local(LONDON, 2025, 6, 10, 11)
    # 12 running hours plus the 2 paused: Monday 15:00.
    warning = warning_at(start, due, 75, OFFICE, target=16 * H)
    assert warning == local(LONDON, 2025, 6, 9, 15)


def test_warning_when_due_is_not_after_start_is_start():
    start = utc(2025, 6, 2)
    assert warning_at(start, start, 75, OFFICE) == start


@pytest.mark.parametrize("percent", [0, 100, -5, 150])
def test_warning_percent_outside_1_to_99_is_refused(percent):
    start = utc(2025, 6, 2)
    with pytest.raises(ValueError, match="percent"):
        warning_at(start, start + 24 * H, percent, TWENTY_FOUR_SEVEN)


# --- inverse and additivity, over many random cases ----------------------------------------


@every_calendar
def test_business_time_between_inverts_add_business_time(calendar):
    rng = random.Random(20250330)
    for _ in range(300):
        start = random_moment(rng)
        duration = random_duration(rng, 200 * H)
        due = add_business_time(start, duration, calendar)
        assert due >= start
        assert business_time_between(start, due, calendar) == duration, (start, duration)
        if duration:
            assert (
                add_business_time(start, business_time_between(start, due, calendar), calendar)
                == due
            )


@every_calendar
def test_adding_in_two_steps_equals_adding_at_once(calendar):
    rng = random.Random(20251026)
    for _ in range(300):
        start = random_moment(rng)
        first, second = random_duration(rng), random_duration(rng)
        in_two = add_business_time(add_business_time(start, first, calendar), second, calendar)
        assert in_two == add_business_time(start, first + second, calendar), (start, first, second)


# --- errors ------------------------------------------------------------------------------

NAIVE = datetime(2025, 6, 2, 9)
AWARE = utc(2025, 6, 2, 9)


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_business_time(NAIVE, H, OFFICE),
        lambda: add_business_time(NAIVE, H, TWENTY_FOUR_SEVEN),
        lambda: business_time_between(NAIVE, AWARE, OFFICE),
        lambda: business_time_between(AWARE, NAIVE, TWENTY_FOUR_SEVEN),
        lambda: due_at(NAIVE, H, OFFICE),
        lambda: due_at(AWARE, H, OFFICE, paused=[(NAIVE, AWARE + H)]),
        lambda: warning_at(AWARE, NAIVE, 75, OFFICE),
        lambda: credit_pause(AWARE, NAIVE, AWARE + H, OFFICE),
        lambda: credit_pause(AWARE + H, AWARE, NAIVE, OFFICE),
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


@pytest.mark.parametrize("calendar", [OFFICE, TWENTY_FOUR_SEVEN])
def test_negative_durations_are_refused(calendar):
    with pytest.raises(ValueError, match="negative"):
        add_business_time(AWARE, -S, calendar)
    with pytest.raises(ValueError, match="negative"):
        due_at(AWARE, -H, calendar)


def test_pause_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        due_at(AWARE, H, OFFICE, paused=[(AWARE + H, AWARE)])
    with pytest.raises(ValueError, match="before it starts"):
        credit_pause(AWARE + 5 * H, AWARE + H, AWARE, OFFICE)


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../etc/passwd", "Europe/Atlantis"])
def test_unknown_time_zone_is_refused(name):
    with pytest.raises(ValueError, match="unknown time zone"):
        Calendar(name)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        (((7, time(9), time(17)),), "weekday"),
        (((-1, time(9), time(17)),), "weekday"),
        (((0, time(17), time(9)),), "open before it closes"),
        (((0, time(9), time(9)),), "open before it closes"),
        (((0, time(9, tzinfo=UTC), time(17)),), "tzinfo"),
    ],
)
def test_malformed_hours_are_refused(hours, message):
    with pytest.raises(ValueError, match=message):
        Calendar(hours=hours)


def test_holidays_must_be_dates_not_datetimes():
    with pytest.raises(ValueError, match="local dates"):
        Calendar(holidays=frozenset({datetime(2025, 12, 25)}))


def test_calendar_that_never_opens_is_refused_instead_of_looping():
    mondays = Calendar(hours=((0, time(9), time(17)),))
    first_monday = date(2025, 6, 2)
    every_monday = frozenset(first_monday + timedelta(weeks=n) for n in range(600))
    never = Calendar(hours=mondays.hours, holidays=every_monday)
    start = utc(2025, 6, 2)
    with pytest.raises(ValueError, match="calendar never opens"):
        add_business_time(start, H, never)
    with pytest.raises(ValueError, match="calendar never opens"):
        due_at(start, H, never)
    # A bounded question still has an answer: no running time in the next month.
    assert business_time_between(start, start + timedelta(days=30), never) == timedelta(0)


def test_long_closure_that_does_reopen_is_walked_through():
    closed = frozenset(date(2025, 6, 2) + timedelta(days=n) for n in range(3000))
    calendar = Calendar(hours=OFFICE.hours, holidays=closed)
    reopening = datetime.combine(date(2025, 6, 2) + timedelta(days=3000), time(9), tzinfo=UTC)
    while reopening.weekday() >= 5:
        reopening += timedelta(days=1)
    assert add_business_time(utc(2025, 6, 2), H, calendar) == reopening + H


# --- speed -------------------------------------------------------------------------------


def test_business_hours_are_fast_enough_for_a_sweep():
    start = local(LONDON, 2025, 6, 2, 10)
    began = stopwatch.perf_counter()
    for minute in range(10_000):
        add_business_time(start + timedelta(minutes=minute), 72 * H, OFFICE)
    assert stopwatch.perf_counter() - began < 2.0


def test_24_7_does_not_walk_days():
    # A ten-year target must cost what a one-hour target costs: no day-by-day walk.
    start = utc(2025, 6, 2)
    began = stopwatch.perf_counter()
    for _ in range(10_000):
        add_business_time(start, timedelta(days=3650), TWENTY_FOUR_SEVEN)
        due_at(start, timedelta(days=3650), TWENTY_FOUR_SEVEN, paused=[(start, start + H)])
    assert stopwatch.perf_counter() - began < 1.0
