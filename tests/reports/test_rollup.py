"""The roll-ups: a second fold changes nothing, and a backfill equals the folds."""

import pytest
import time_machine

from reports import facts, rollup
from reports.models import CaseFact, DayRollup
from tests.reports import dataset

pytestmark = pytest.mark.django_db


def rollups() -> list[tuple]:
    fields = ["day", "metric", "key", "category_id", "team_id", "tier", "channel", "priority"]
    fields += ["bucket", "late", "count", "total"]
    return sorted(DayRollup.objects.values_list(*fields), key=repr)


def stored_facts() -> list[tuple]:
    return sorted(CaseFact.objects.values_list(*facts.FIELDS), key=repr)


def test_a_second_fold_changes_nothing():
    dataset.build(fold_daily=True)
    before_rollups, before_facts = rollups(), stored_facts()
    assert before_rollups and before_facts
    with time_machine.travel(dataset.at(6, 0), tick=False):
        again = rollup.fold()
    assert again.changed == 0 and again.days == set()
    assert rollups() == before_rollups and stored_facts() == before_facts


def test_a_backfill_equals_the_daily_folds():
    dataset.build(fold_daily=True)
    incremental = rollups()
    rebuilt = rollup.rebuild()
    assert rebuilt.cases == 6
    assert rollups() == incremental
    # A range (days 2 to 3) rebuilds to the same rows too.
    DayRollup.objects.filter(day=dataset.at(2, 0).date()).delete()
    rollup.rebuild(start=dataset.at(2, 0).date(), end=dataset.at(3, 0).date())
    assert rollups() == incremental


def test_one_fold_at_the_end_equals_the_daily_folds():
    dataset.build(fold_daily=False)
    with time_machine.travel(dataset.at(6, 0), tick=False):
        result = rollup.fold()
    assert result.changed == 6  # each case once, whatever the windows it was read in
    once = rollups()
    CaseFact.objects.all().delete()
    DayRollup.objects.all().delete()
    rollup.rebuild()
    assert rollups() == once


def test_a_change_to_an_old_case_recounts_the_days_it_touches():
    week = dataset.build(fold_daily=True)
    from tickets import services
    from tickets.models import Category

    with time_machine.travel(dataset.at(6, 9), tick=False):
        services.ticket_change_category(
            ticket=week.cases["C"],
            actor=week.agent,
            category=Category.objects.get(code="other"),
            reason="Not a login problem.",
        )
    with time_machine.travel(dataset.at(7, 0), tick=False):
        result = rollup.fold()
    # C's facts moved category on the days they happened (filed and replied on day 1).
    assert dataset.at(1, 0).date() in result.days
    incremental = rollups()
    rollup.rebuild()
    assert rollups() == incremental


def test_buckets_keep_two_significant_figures():
    assert [facts.bucket(s) for s in (0, 59, 99, 100, 104, 105, 13620, 86400, 90000)] == [
        0,
        59,
        99,
        100,
        100,
        110,
        14000,
        86000,
        90000,
    ]
