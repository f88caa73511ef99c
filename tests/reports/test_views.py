"""The reports area through Django's test client: who may read it, the page, CSV and the API."""

import csv
import io
import zipfile

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Team
from escalation import case_file
from reports.exports import neutralise
from tests.factories import AgentFactory, CustomerFactory, UserFactory, login_verified
from tests.reports import dataset

pytestmark = pytest.mark.django_db

RANGE = {"from": "2026-03-02", "to": "2026-03-06"}


@pytest.fixture
def week():
    built = dataset.build(fold_daily=True)
    with time_machine.travel(dataset.at(6, 12), tick=True):
        yield built


def admin():
    return UserFactory(role="admin", is_staff=True)


def lead_of(code: str):
    lead = AgentFactory()
    Team.objects.get(code=code).leads.add(lead)
    return lead


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_only_admins_and_team_leads_read_reports(client, week):
    url = reverse("reports:report", args=["volume"])
    for user, status in (
        (admin(), 200),
        (lead_of("verification"), 200),
        (AgentFactory(), 404),
    ):
        login_verified(client, user)
        assert client.get(url).status_code == status
    client.force_login(CustomerFactory())
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to sign in


def test_the_report_page_draws_an_accessible_chart_beside_its_table(client, week):
    login_verified(client, admin())
    page = client.get(reverse("reports:report", args=["volume"]), RANGE).content.decode()
    assert '<svg class="chart-svg"' in page and 'role="img"' in page
    assert '<title id="chart-title-volume">Complaints filed and decided</title>' in page
    assert "<desc" in page and 'id="table-periods"' in page
    assert 'href="/staff/?view=all&amp;created_from=2026-03-02&amp;created_to=2026-03-02"' in page
    assert "<script" not in page.split('id="report-page"')[1]  # no inline script
    assert "style=" not in page  # nor inline style: the CSP is unchanged


def test_every_report_page_renders_in_both_languages(client, week):
    login_verified(client, admin())
    from reports.catalogue import REPORTS

    for name in REPORTS:
        url = reverse("reports:report", args=[name])
        assert client.get(url, RANGE).status_code == 200, name
        chinese = client.get(url, RANGE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert 'lang="zh-hans"' in chinese and "报表" in chinese, name


def test_a_bad_range_is_shown_on_the_form(client, week):
    login_verified(client, admin())
    response = client.get(
        reverse("reports:report", args=["volume"]), {"from": "2026-03-06", "to": "2026-03-02"}
    )
    assert response.status_code == 400
    assert "cannot be before its start" in response.content.decode()


def test_a_lead_sees_and_filters_only_their_teams(client, week):
    login_verified(client, lead_of("verification"))
    page = client.get(reverse("reports:report", args=["appeals"]), RANGE).content.decode()
    assert "Identity Verification" in page and "General Support" not in page
    other = Team.objects.get(code="general")
    response = client.get(
        reverse("reports:report", args=["appeals"]), {**RANGE, "team": other.code}
    )
    assert response.status_code == 400  # not a team they may choose


def test_csv_export_of_a_table_in_the_readers_language(client, week):
    login_verified(client, admin())
    url = reverse("reports:report", args=["volume"])
    rows = read_csv(client.get(url, {**RANGE, "format": "csv", "table": "categories"}))
    assert rows[0] == ["Category", "Filed", "Still open"]
    assert ["Identity verification (KYC)", "3", "1"] in rows
    chinese = read_csv(client.get(url, {**RANGE, "format": "csv"}, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert chinese[0][0] == "时段" and len(chinese) == 6


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(client, week):
    assert [neutralise(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "ok", 5, -5)] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "ok",
        5,
        -5,
    ]
    Team.objects.filter(code="general").update(name='=HYPERLINK("http://evil")')
    login_verified(client, admin())
    rows = read_csv(
        client.get(reverse("reports:report", args=["appeals"]), {**RANGE, "format": "csv"})
    )
    assert ['\'=HYPERLINK("http://evil")', "2", "2"] in [row[:3] for row in rows]


def test_the_register_exports_every_complaint(client, week):
    login_verified(client, admin())
    rows = read_csv(
        client.get(reverse("reports:report", args=["register"]), {**RANGE, "format": "csv"})
    )
    assert rows[0][:3] == ["Reference", "Filed (acknowledged)", "First reply"]
    assert {row[0] for row in rows[1:]} == {t.reference for t in week.cases.values()}


def test_the_api_gives_each_report_as_json_or_csv(week):
    api = APIClient()
    api.force_authenticate(admin())
    data = api.get("/api/v1/reports/volume/", RANGE).json()
    assert data["from"] == "2026-03-02" and data["name"] == "volume"
    assert {f["label"]: f["value"] for f in data["summary"]}["Filed"] == 6
    assert data["tables"][0]["rows"][0]["link"].startswith("/staff/?view=all")
    for name in (
        "volume",
        "response-times",
        "sla",
        "escalations",
        "appeals",
        "satisfaction",
        "deflection",
        "complaints-handling",
        "register",
    ):
        assert api.get(f"/api/v1/reports/{name}/", RANGE).status_code == 200, name
    response = api.get("/api/v1/reports/complaints-handling/", {**RANGE, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert read_csv(response)[0][0] == "Step"
    assert api.get("/api/v1/reports/nothing/").status_code == 404
    bad = api.get("/api/v1/reports/volume/", {"from": "2026-03-06", "to": "2026-03-01"})
    assert bad.status_code == 400 and "to" in bad.json()


def test_the_api_refuses_readers_who_are_not_leads_or_admins(week):
    api = APIClient()
    api.force_authenticate(AgentFactory())
    assert api.get("/api/v1/reports/volume/").status_code == 403
    api.force_authenticate(CustomerFactory())
    assert api.get("/api/v1/reports/volume/").status_code == 403
    api.force_authenticate(lead_of("verification"))
    assert api.get("/api/v1/reports/volume/", RANGE).json()["summary"][0]["value"] == 3


def test_an_admin_downloads_the_case_files_of_a_period(client, week, settings):
    login_verified(client, lead_of("verification"))
    assert client.get(reverse("reports:records")).status_code == 404
    login_verified(client, admin())
    url = reverse("reports:records")
    page = client.get(url, RANGE).content.decode()
    assert "6 cases filed in this range." in page
    response = client.get(url, {**RANGE, "download": "1"})
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    assert {f"cases/{t.reference}-case-file.zip" for t in week.cases.values()} <= names
    assert {"register.csv", "manifest.json", "manifest.sig"} <= names
    check = case_file.verify(
        io.BytesIO(b"".join(client.get(url, {**RANGE, "download": "1"}).streaming_content))
    )
    assert check.ok and check.signed and check.files == 7
    settings.REDRESS_CASE_FILE_ARCHIVE_LIMIT = 5
    assert 'id="records-too-many"' in client.get(url, RANGE).content.decode()
    assert client.get(url, {**RANGE, "download": "1"}).status_code == 200
    assert "text/html" in client.get(url, {**RANGE, "download": "1"})["Content-Type"]


def test_the_navigation_links_to_reports_for_their_readers_only(client):
    for user, shown in ((lead_of("funding"), True), (admin(), True), (AgentFactory(), False)):
        login_verified(client, user)
        page = client.get(reverse("staff:queue")).content.decode()
        assert ('id="nav-reports"' in page) is shown
