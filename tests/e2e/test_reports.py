"""Reports, ratings and the regulator's clock in a real browser, at phone and desktop width,
in English and Chinese; any console error (a CSP violation among them) fails the test.

A customer rates from the mail's link; a team lead opens a report, filters it, follows a bar
down to the queue and exports the CSV; an admin sends a delay notice and the customer sees it.
"""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from chat import services as chats
from escalation import services as lifecycle
from reports import rollup, services
from reports.models import Rating
from tests.chat.helpers import active, available_agent
from tests.e2e.helpers import watch_console
from tests.factories import (
    PASSWORD,
    AgentFactory,
    CustomerFactory,
    UserFactory,
    category,
    enroll_totp,
    totp_code,
)
from tickets import services as tickets
from tickets.models import DelayNotice

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Each flow in both languages and at both widths: Chinese on a phone, English on a desktop.
SETTINGS = [
    pytest.param("zh-CN", 375, id="zh-phone"),
    pytest.param("en-US", 1280, id="en-desktop"),
]
TEXT = {
    "en-US": {"thanks": "Thank you for your rating.", "notice": "We need more time"},
    "zh-CN": {"thanks": "感谢您的评价。", "notice": "我们需要更多时间"},
}


@pytest.fixture
def page_at(browser, live_server):
    contexts = []

    def make(locale: str, width: int):
        context = browser.new_context(
            locale=locale,
            base_url=live_server.url,
            viewport={"width": width, "height": 900},
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, user, next_url, device=None):
    """Through the real pages, in whatever language they are in."""
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    if device is not None:
        page.wait_for_url("**/accounts/login/code/**")
        page.fill("#id_otp_token", totp_code(device))
        page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"**{next_url}")


def filed(customer, code="kyc", subject="KYC review stuck"):
    return tickets.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category(code),
        subject=subject,
        description="My verification has said under review for weeks.",
        fields={},
    )


@pytest.mark.parametrize(("locale", "width"), SETTINGS)
def test_a_customer_rates_from_the_mail_link(page_at, locale, width):
    services.ratings_invite()
    customer, agent = CustomerFactory(full_name="Lin Wei"), AgentFactory()
    ticket = filed(customer)
    tickets.ticket_claim(ticket=ticket, actor=agent)
    tickets.ticket_propose_resolution(
        ticket=ticket, actor=agent, kind="explanation", summary="Your selfie was blurred."
    )
    lifecycle.resolution_accept(ticket=ticket, actor=customer)
    mail.outbox.clear()
    services.ratings_invite()
    (invitation,) = [m for m in mail.outbox if "/rate/" in m.body]
    link = next(word for word in invitation.body.split() if "/rate/" in word)
    path = re.sub(r"^https?://[^/]+", "", link)

    page = page_at(locale, width)
    problems = watch_console(page)
    page.goto(path)  # not signed in
    page.wait_for_selector("#rating-form")
    page.click("label[for=id_rating-outcome_3]")  # the fourth choice: 4
    page.click("label[for=id_rating-service_4]")  # 5
    page.fill("#id_rating-comment", "Clear answer.")
    page.click("#rating-submit")
    page.wait_for_selector(".alert-success >> text=" + TEXT[locale]["thanks"])
    assert page.locator("#rating-saved").count() == 1
    rating = Rating.objects.get(ticket=ticket)
    assert (rating.outcome_score, rating.service_score, rating.comment) == (4, 5, "Clear answer.")
    # While the link is valid the customer may change it.
    page.click("label[for=id_rating-outcome_4]")
    page.click("#rating-submit")
    page.wait_for_selector(".alert-success")
    assert Rating.objects.get(ticket=ticket).outcome_score == 5
    assert problems == []


@pytest.mark.parametrize(("locale", "width"), SETTINGS)
def test_a_lead_filters_a_report_follows_a_bar_to_the_queue_and_exports_csv(
    page_at, locale, width, tmp_path
):
    customer = CustomerFactory()
    kyc_case, other_case = filed(customer, "kyc"), filed(customer, "other", "Referral bonus")
    lead = AgentFactory(full_name="Lee Lead")
    kyc_case.team.leads.add(lead)
    other_case.team.leads.add(lead)
    device = enroll_totp(lead)
    rollup.fold(now=timezone.now() + timedelta(seconds=1))
    chat = active(agent=available_agent(teams=[kyc_case.team.code]))
    chats.chat_end(chat=chat, actor=chat.customer)
    chats.chat_rate(chat=chat, actor=chat.customer, outcome=4, service=5)

    page = page_at(locale, width)
    problems = watch_console(page)
    sign_in(page, lead, "/staff/reports/", device)
    page.click("#reports-index a[data-report=volume]")
    page.wait_for_selector("#chart-volume svg")
    page.select_option("#id_category", "kyc")
    page.click("#filter-submit")
    page.wait_for_url("**category=kyc**")
    assert "1" in page.inner_text("#table-categories")
    assert page.locator("#table-categories tbody tr").count() == 1

    page.locator("#chart-volume svg a").first.click()
    page.wait_for_url("**/staff/?view=all**")
    assert "category=kyc" in page.url and "created_from=" in page.url
    rows = page.locator("#queue-rows tr[data-reference]")
    assert rows.count() == 1 and rows.first.get_attribute("data-reference") == kyc_case.reference

    page.go_back()
    page.wait_for_selector("#table-periods")
    with page.expect_download() as download:
        page.locator(".csv-export").first.click()
    saved = tmp_path / "volume.csv"
    download.value.save_as(saved)
    lines = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert lines[0][0] == ("Period" if locale == "en-US" else "时段")
    assert sum(int(row[1]) for row in lines[1:]) == 1  # the one kyc case filed

    # The live chats' own ratings sit in the satisfaction report: those of the lead's teams.
    page.goto("/staff/reports/satisfaction/")
    page.wait_for_selector("#table-chats")
    ratings = page.locator("#table-chats tbody tr").filter(has_text="4.00")
    assert ratings.count() == 1, page.inner_text("#table-chats")
    assert problems == []


@pytest.mark.parametrize(("locale", "width"), SETTINGS)
def test_an_admin_sends_a_delay_notice_and_the_customer_sees_it(page_at, locale, width):
    customer = CustomerFactory(full_name="Lin Wei")
    ticket = filed(customer)
    admin = UserFactory(role="admin", is_staff=True, full_name="Ada Admin")
    device = enroll_totp(admin)
    expected = timezone.localdate(ticket.final_decision_due_at) + timedelta(days=21)

    page = page_at(locale, width)
    problems = watch_console(page)
    sign_in(page, admin, f"/staff/tickets/{ticket.reference}/", device)
    # A support case is outside an admin's own scope: they open it anyway, saying why.
    page.fill("#id_reason", "The regulator's deadline is near.")
    page.click("#open-anyway-submit")
    page.click("#action-delay_notice summary")
    page.fill("#id_delay_notice-reason", "Our bank partner has not sent the records yet.")
    page.fill("#id_delay_notice-expected_by", expected.isoformat())
    page.click("#delay_notice-submit")
    page.wait_for_selector("#staff-delay-notices")
    assert DelayNotice.objects.get(ticket=ticket).expected_by == expected
    assert any(ticket.reference in m.subject for m in mail.outbox if customer.email in m.to)

    customer_page = page_at(locale, width)
    problems += watch_console(customer_page)
    sign_in(customer_page, customer, f"/tickets/{ticket.reference}/")
    notice = customer_page.inner_text("#delay-notices")
    assert TEXT[locale]["notice"] in notice
    assert "Our bank partner has not sent the records yet." in notice
    assert customer_page.locator("#final-decision-due").count() == 1
    assert problems == []
