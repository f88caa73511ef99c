"""The reports' workers and commands: the beat's task, summaries, backfill and export, the
deflection seam."""

import io
from datetime import date

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from accounts import roles
from accounts.models import Team, User
from escalation import case_file
from reports import catalogue, deflection, summaries, tasks
from reports.models import DayRollup, Summary
from reports.query import ReportFilters
from reports.selectors import Scope
from tests.factories import AgentFactory, UserFactory, login_verified
from tests.reports import dataset

pytestmark = pytest.mark.django_db


def test_the_beat_task_asks_for_ratings_and_folds(django_capture_on_commit_callbacks):
    week = dataset.build(fold_daily=False)
    with time_machine.travel(dataset.at(6, 0), tick=False):
        result = tasks.fold()
    assert result["cases"] >= 6 and DayRollup.objects.exists()
    assert week.cases["E"].ratings.count() == 1  # E was accepted on day 5: asked now


def test_weekly_and_monthly_summaries_are_made_once_kept_and_mailed(
    client, django_capture_on_commit_callbacks
):
    dataset.build(fold_daily=True)
    admin = UserFactory(role="admin", is_staff=True)
    lead = AgentFactory()
    verification = Team.objects.get(code="verification")
    verification.leads.add(lead)
    mail.outbox.clear()
    with (
        time_machine.travel(dataset.at(8, 1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        from reports import rollup

        rollup.fold()
        made = summaries.ensure()
    # The week of 2 March has ended; February (no cases) too: for admins and for the team.
    assert {(s.period, s.start, s.team_id) for s in made} == {
        ("week", date(2026, 3, 2), None),
        ("week", date(2026, 3, 2), verification.pk),
        ("month", date(2026, 2, 1), None),
        ("month", date(2026, 2, 1), verification.pk),
    }
    with time_machine.travel(dataset.at(8, 2), tick=False):
        assert summaries.ensure() == []
    week_mails = [m for m in mail.outbox if "Week summary from 2026-03-02" in m.subject]
    # To every admin (the week's prices were set by one) and the team's lead, each their own.
    admins = User.objects.filter(groups__name=roles.ADMIN).values_list("email", flat=True)
    assert sorted(m.to[0] for m in week_mails) == sorted([*admins, lead.email])
    admins_week = Summary.objects.get(period="week", team=None)
    assert "Filed: 6" in next(m for m in week_mails if m.to == [admin.email]).body
    # The lead reopens their team's summary, in either language; not the admins'.
    login_verified(client, lead)
    team_week = Summary.objects.get(period="week", team=verification)
    page = client.get(reverse("reports:summary", args=[team_week.pk])).content.decode()
    assert "Identity Verification" in page and 'id="chart-volume"' in page
    chinese = client.get(
        reverse("reports:summary", args=[team_week.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "案件量" in chinese
    assert client.get(reverse("reports:summary", args=[admins_week.pk])).status_code == 404


def test_no_summary_before_the_folds_have_read_its_last_day():
    dataset.build(fold_daily=False)
    with time_machine.travel(dataset.at(8, 1), tick=False):
        assert summaries.ensure() == []


def test_the_backfill_command_rebuilds_everything_or_a_range():
    dataset.build(fold_daily=False)
    out = io.StringIO()
    call_command("reports_backfill", stdout=out)
    assert "6 cases read" in out.getvalue()
    everything = sorted(DayRollup.objects.values_list("day", "metric", "key", "count"))
    call_command("reports_backfill", "--from", "2026-03-03", "--to", "2026-03-04", stdout=out)
    assert sorted(DayRollup.objects.values_list("day", "metric", "key", "count")) == everything


def test_the_export_command_writes_a_verifiable_archive(tmp_path):
    dataset.build(fold_daily=True)
    admin = UserFactory(role="admin", is_staff=True)
    output = tmp_path / "march.zip"
    call_command(
        "export_case_files", str(output), "--from", "2026-03-02", "--to", "2026-03-06",
        "--as", admin.email, "--category", "kyc", stdout=io.StringIO(),
    )  # fmt: skip
    check = case_file.verify(output)
    assert check.ok and check.signed and check.files == 4  # A, D, E and the register


def _fake_help_center(start, end, categories):
    return {
        date(2026, 3, 2): deflection.Counts(shown=10, opened=6, solved=3, filed_anyway=1),
        date(2026, 3, 3): deflection.Counts(shown=4, opened=2, solved=0, filed_anyway=1),
    }


def test_deflection_says_nothing_is_recorded_until_the_help_center_is_wired(settings):
    settings.REDRESS_DEFLECTION_SOURCE = ""
    week = ReportFilters(date(2026, 3, 2), date(2026, 3, 6))
    result = catalogue.build("deflection", week, Scope(None))
    assert result.chart is None and "does not record these yet" in result.notes[0]
    settings.REDRESS_DEFLECTION_SOURCE = "tests.reports.test_workers._fake_help_center"
    result = catalogue.build("deflection", week, Scope(None))
    assert {str(f.label): f.value for f in result.summary} == {
        "Deflection rate": 60.0,  # 3 solved of the 5 who chose
        "Solved by an article": 3,
        "Filed anyway": 2,
    }
    assert result.tables[0].rows[0]["shown"] == 10
