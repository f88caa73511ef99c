"""Each report's figures on the hand-made week (tests/reports/dataset.py), worked out by hand.

Medians and percentiles are linear between the two nearest values (PostgreSQL's
percentile_cont): for n sorted values, the p-th is at position p·(n−1).
"""

from datetime import date

import pytest
import time_machine

from accounts.models import Team
from reports import catalogue, facts
from reports.query import ReportFilters
from reports.selectors import Scope
from tests.reports import dataset
from tickets.models import Category

pytestmark = pytest.mark.django_db

WEEK = ReportFilters(start=date(2026, 3, 2), end=date(2026, 3, 6))
EVERYTHING = Scope(None)
H = 3600


@pytest.fixture
def week():
    built = dataset.build(fold_daily=True)
    with time_machine.travel(dataset.at(6, 12), tick=False):
        yield built


def figures(result) -> dict:
    return {str(figure.label): figure.value for figure in result.summary}


def table(result, key) -> list[dict]:
    (found,) = [t for t in result.tables if t.key == key]
    return found.rows


def test_volume(week):
    result = catalogue.build("volume", WEEK, EVERYTHING)
    assert figures(result) == {
        "Filed": 6,
        "Decided": 3,
        "Of those filed, still open": 2,  # C and D
        "Open now (filed at any time)": 2,
    }
    per_day = [(r["period"], r["filed"], r["decided"], r["open"]) for r in table(result, "periods")]
    assert per_day == [
        ("2026-03-02", 3, 0, 1),
        ("2026-03-03", 2, 1, 1),
        ("2026-03-04", 1, 0, 0),
        ("2026-03-05", 0, 1, 0),
        ("2026-03-06", 0, 1, 0),
    ]
    assert [s.values for s in result.chart.series] == [[3, 2, 1, 0, 0], [0, 1, 0, 1, 1]]
    categories = {r["category"]: (r["filed"], r["open"]) for r in table(result, "categories")}
    assert categories == {
        "Identity verification (KYC)": (3, 1),
        "Login and password": (2, 1),
        "Other": (1, 0),
    }


def test_response_times_medians_and_90th_percentiles(week):
    result = catalogue.build("response-times", WEEK, EVERYTHING)
    # First replies: B 30 min, A 2 h, C 5 h, E 25 h.
    # Median: (2 h + 5 h) / 2; p90 at position 2.7: 5 h + 0.7 · (25 h − 5 h) = 19 h.
    # Resolutions: A 25 h, B 75 h, E 75 h: median 75 h; p90 at 1.8: 75 h.
    got = figures(result)
    assert got["First reply, median"] == pytest.approx(3.5 * H)
    assert got["First reply, 90th percentile"] == pytest.approx(19 * H)
    assert got["Resolution, median"] == pytest.approx(75 * H)
    assert got["Resolution, 90th percentile"] == pytest.approx(75 * H)
    day_one = table(result, "periods")[0]
    # Day 1's replies: 30 min, 2 h, 5 h: median 2 h; p90 at 1.8: 2 h + 0.8 · 3 h = 4 h 24.
    assert day_one["replied"] == 3
    assert day_one["reply_median"] == pytest.approx(2 * H)
    assert day_one["reply_p90"] == pytest.approx(4.4 * H)


def test_sla_compliance_per_target_and_tier(week):
    from sla.models import SLARecord

    result = catalogue.build("sla", WEEK, EVERYTHING)
    rows = {(r["tier"], r["target"]): (r["met"], r["breached"]) for r in table(result, "targets")}
    # Every deadline of the week was met on time: counted straight from the SLA records.
    expected = {}
    for record in SLARecord.objects.exclude(outcome="warned"):
        key = (record.get_tier_display(), record.get_target_display())
        met, breached = expected.get(key, (0, 0))
        expected[key] = (met + (record.outcome == "met"), breached + (record.outcome == "breached"))
    assert rows == expected
    assert rows[("Support", "First reply")] == (4, 0)  # A, B, C and E
    assert figures(result)["Compliance"] == 100.0


def test_escalations_by_cause(week):
    result = catalogue.build("escalations", WEEK, EVERYTHING)
    assert figures(result) == {"Deadline missed": 0, "Appeal": 2, "By hand": 1}
    tiers = {r["tier"]: (r["appeal"], r["manual"]) for r in table(result, "tiers")}
    assert tiers == {"Support": (1, 1), "Appeal Center": (1, 0)}


def test_appeal_rate_and_overturns_by_the_team_whose_decision_was_appealed(week):
    result = catalogue.build("appeals", WEEK, EVERYTHING)
    # Decisions: A accepted, E accepted (Identity Verification); B rejected, then its appeal
    # center proposal disputed (General Support). Both of B's were appealed; the committee
    # overturned.
    rows = {r["team"]: r for r in table(result, "teams")}
    general, verification = rows["General Support"], rows["Identity Verification"]
    assert (general["answered"], general["appealed"], general["appeal_rate"]) == (2, 2, 100.0)
    assert (general["committee"], general["overturn_rate"], general["modify_rate"]) == (1, 100.0, 0)
    assert (verification["answered"], verification["appealed"]) == (2, 0)
    assert verification["appeal_rate"] == 0 and verification["overturn_rate"] is None
    assert figures(result)["Appeal rate"] == 50.0


def test_committee_outcomes(week):
    result = catalogue.build("committee", WEEK, EVERYTHING)
    assert figures(result) == {"Uphold": 0, "Modify": 0, "Overturn": 100.0, "Decisions": 1}


def test_satisfaction_by_outcome_and_by_team(week):
    result = catalogue.build("satisfaction", WEEK, EVERYTHING)
    assert figures(result) == {
        "Ratings": 2,
        "Outcome, average": 3.5,
        "Service, average": 2.5,
        "Live-chat ratings": 0,  # the chats' own (tests/reports/test_satisfaction.py)
        "Live chat, service average": None,
    }
    by_outcome = {
        r["group"]: (r["outcome"], r["service"], r["low"]) for r in table(result, "outcomes")
    }
    assert by_outcome == {"Explanation": (5, 4, 0), "Committee: Overturn": (2, 1, 100.0)}
    by_team = {r["group"]: (r["outcome"], r["service"]) for r in table(result, "teams")}
    assert by_team == {"Identity Verification": (5, 4), "General Support": (2, 1)}


def test_complaints_handling_article_8(week):
    result = catalogue.build("complaints-handling", WEEK, EVERYTHING)
    assert figures(result) == {
        "Complaints filed": 6,
        "Final decisions": 3,
        "Open now and past the final-decision deadline": 0,
        "Delay notices sent": 0,
    }
    steps = {r["step"]: r for r in table(result, "steps")}
    # First proposal or rejection: B 30 min, A 3 h 20, E 25 h.
    investigation = steps["Investigation, to a first proposal or rejection"]
    assert investigation["completed"] == 3
    assert investigation["average"] == pytest.approx((1800 + 12000 + 90000) / 3)
    assert investigation["p90"] == pytest.approx(12000 + 0.8 * (90000 - 12000))
    # Final decisions: A 25 h, B 75 h (the committee), E 75 h; F was merged, not decided.
    final = steps["Final decision"]
    assert final["completed"] == 3 and final["late"] == 0
    assert final["average"] == pytest.approx(175 * H / 3)
    assert final["p90"] == pytest.approx(75 * H)
    outcomes = {r["outcome"]: r["count"] for r in table(result, "outcomes")}
    assert outcomes == {
        "In the customer's favour": 2,  # the committee's overturn, E's compensation
        "Partly in the customer's favour": 0,
        "Not upheld (rejected or explained)": 1,  # A's explanation
    }
    topics = {r["category"]: (r["filed"], r["decided"]) for r in table(result, "topics")}
    assert topics == {
        "Identity verification (KYC)": (3, 2),
        "Login and password": (2, 0),
        "Other": (1, 1),
    }


def test_cases_open_past_the_deadline_are_counted_as_of_today():
    dataset.build(fold_daily=True)
    # Counted by the day: C was due 1 May and D 2 May, so on 3 May both are past.
    with time_machine.travel(dataset.at(62, 12), tick=False):
        result = catalogue.build("complaints-handling", WEEK, EVERYTHING)
    assert figures(result)["Open now and past the final-decision deadline"] == 1
    with time_machine.travel(dataset.at(63, 0), tick=False):
        result = catalogue.build("complaints-handling", WEEK, EVERYTHING)
    assert figures(result)["Open now and past the final-decision deadline"] == 2


def test_a_final_decision_after_its_deadline_is_counted_late():
    week = dataset.build(fold_daily=False)
    from reports import rollup
    from tickets import services

    case = week.cases["D"]
    with time_machine.travel(dataset.at(63, 9), tick=False):
        services.ticket_reject(ticket=case, actor=week.officer, reason="Not ours.")
    with time_machine.travel(dataset.at(64, 0), tick=False):
        rollup.fold()
        late = ReportFilters(start=date(2026, 5, 3), end=date(2026, 5, 3))
        result = catalogue.build("complaints-handling", late, EVERYTHING)
    final = {r["step"]: r for r in table(result, "steps")}["Final decision"]
    assert (final["completed"], final["late"]) == (1, 1)


def test_the_register_lists_every_complaint_with_its_steps(week):
    result = catalogue.build("register", WEEK, EVERYTHING)
    rows = {r["reference"]: r for r in table(result, "complaints")}
    assert len(rows) == 6
    a, e, f = (rows[week.cases[name].reference] for name in "AEF")
    assert (a["filed_at"], a["first_reply_at"], a["first_proposal_at"]) == (
        "2026-03-02 09:00",
        "2026-03-02 11:00",
        "2026-03-02 12:20",
    )
    assert (a["final_decision_at"], a["outcome"]) == ("2026-03-03 10:00", "Explanation")
    assert (e["outcome"], e["compensation"]) == ("Compensation", "50 USDT")
    assert f["outcome"] == f"Merged into {week.cases['C'].reference}"


def test_filters_and_a_leads_scope_narrow_every_report(week):
    verification = Team.objects.get(code="verification")
    by_team = WEEK.narrowed(team=(verification.pk,))
    assert figures(catalogue.build("volume", by_team, EVERYTHING))["Filed"] == 3  # A, D, E
    by_channel = WEEK.narrowed(channel=("api",))
    assert figures(catalogue.build("volume", by_channel, EVERYTHING))["Filed"] == 1  # B
    kyc = Category.objects.get(code="kyc")
    by_category = WEEK.narrowed(category=(kyc.pk,), priority=("normal",))
    assert figures(catalogue.build("volume", by_category, EVERYTHING))["Filed"] == 3
    lead_scope = Scope(frozenset({verification.pk}))
    led = catalogue.build("satisfaction", WEEK, lead_scope)
    assert figures(led)["Ratings"] == 1  # only A's, rated in Identity Verification
    at_committee = WEEK.narrowed(tier=("dispute_committee",))
    assert figures(catalogue.build("volume", at_committee, EVERYTHING))["Filed"] == 1


def test_bars_and_rows_link_down_to_the_queue_with_the_same_filters(week):
    kyc = Category.objects.get(code="kyc")
    filtered = WEEK.narrowed(category=(kyc.pk,), channel=("web",))
    result = catalogue.build("volume", filtered, EVERYTHING)
    assert result.chart.links[0] == (
        "/staff/?view=all&created_from=2026-03-02&created_to=2026-03-02&category=kyc&channel=web"
    )
    lead = Scope(frozenset({Team.objects.get(code="verification").pk}))
    (row,) = table(catalogue.build("appeals", WEEK, lead), "teams")
    assert row["link"].endswith("&team=verification")


def test_long_ranges_are_drawn_per_month(week):
    two_months = catalogue.build(
        "volume", ReportFilters(date(2026, 3, 1), date(2026, 5, 1)), EVERYTHING
    )
    assert two_months.chart.labels[:2] == ["2026-03-01", "2026-03-02"]  # 62 days: per day
    year = ReportFilters(date(2026, 1, 1), date(2026, 12, 31))
    months = catalogue.build("volume", year, EVERYTHING)
    assert months.chart.labels[2] == "2026-03" and months.chart.series[0].values[2] == 6


def test_ended_months_read_from_month_rows_give_the_days_figures():
    from reports import rollup
    from reports.models import MonthRollup

    dataset.build(fold_daily=True)
    long_range = ReportFilters(date(2026, 2, 15), date(2026, 4, 20))
    with time_machine.travel(dataset.at(6, 12), tick=False):
        from_days = {
            name: catalogue.build(name, long_range, EVERYTHING).as_dict()
            for name in ("volume", "response-times", "complaints-handling", "satisfaction")
        }
    with time_machine.travel(date(2026, 4, 25), tick=False):
        rollup.fold()  # caught up in a new month: March gets its month rows
        assert rollup.months_built() == date(2026, 3, 1)
        assert MonthRollup.objects.filter(month=date(2026, 3, 1)).exists()
        for name, expected in from_days.items():
            got = catalogue.build(name, long_range, EVERYTHING).as_dict()
            assert got["summary"] == expected["summary"], name
            assert got["tables"][0] == expected["tables"][0], name
        # A month's rows follow its days: a rebuild gives the same.
        before = sorted(MonthRollup.objects.values_list("metric", "key", "count", "bucket"))
        rollup.rebuild()
        after = sorted(MonthRollup.objects.values_list("metric", "key", "count", "bucket"))
        assert after == before


def test_facts_follow_the_outcome_groups_of_article_8():
    assert facts.OUTCOME_GROUPS["committee_overturn"] == facts.UPHELD
    assert facts.OUTCOME_GROUPS["committee_uphold"] == facts.NOT_UPHELD
    assert facts.OUTCOME_GROUPS["mediation"] == facts.PARTLY


def test_a_cached_report_gives_way_to_counts_made_after_it(week):
    """The result is cached under the roll-ups' version: counting a day again replaces it."""
    from reports import rollup
    from reports.models import DayRollup, TeamDayRollup

    assert figures(catalogue.build("volume", WEEK, EVERYTHING))["Filed"] == 6
    # Rows changed behind the cache's back are not seen until the roll-ups are counted again.
    for model in (DayRollup, TeamDayRollup):
        model.objects.filter(metric=facts.FILED, day=date(2026, 3, 4)).delete()
    assert figures(catalogue.build("volume", WEEK, EVERYTHING))["Filed"] == 6
    rollup.recount_days([date(2026, 3, 5)])
    assert figures(catalogue.build("volume", WEEK, EVERYTHING))["Filed"] == 5
    rollup.recount_days([date(2026, 3, 4)])
    assert figures(catalogue.build("volume", WEEK, EVERYTHING))["Filed"] == 6


def test_a_team_only_report_reads_the_team_grain_with_the_same_figures(week):
    """Without filters the team roll-ups answer; with a category the full rows do; the
    figures they give for the same cases are the same."""
    from reports import query
    from reports.models import TeamDayRollup

    assert TeamDayRollup.objects.exists()
    plain = catalogue.build("response-times", WEEK, EVERYTHING)
    selection = query.rows(facts.FIRST_RESPONSE, WEEK, EVERYTHING)
    assert selection.team_days is not None
    assert selection.parts(query.DAY, ("bucket",))[0][0].model is TeamDayRollup
    assert selection.parts(query.DAY, ("category_id",))[0][0].model is not TeamDayRollup
    every_category = WEEK.narrowed(category=tuple(Category.objects.values_list("pk", flat=True)))
    assert query.rows(facts.FIRST_RESPONSE, every_category, EVERYTHING).team_days is None
    narrowed = catalogue.build("response-times", every_category, EVERYTHING)
    assert figures(narrowed) == figures(plain)
