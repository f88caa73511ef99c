"""An admin changes a policy in the browser; the next ticket's due time follows it."""

from datetime import datetime, timedelta

import pytest
from django.utils import formats, timezone

from tests.factories import PASSWORD, CustomerFactory, UserFactory, enroll_totp, totp_code
from tickets.models import Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_changes_a_policy_and_a_new_ticket_is_due_accordingly(page_for):
    admin = UserFactory(email="boss@example.com", is_staff=True, is_superuser=True, role="admin")
    customer = CustomerFactory(email="kyc@example.com")

    device = enroll_totp(admin)
    page = page_for()
    page.goto("/admin/login/")
    page.fill("#id_username", admin.email)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/accounts/login/code/**")
    page.fill("#id_otp_token", totp_code(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/admin/")
    assert page.title().endswith("Redress administration")
    index = page.inner_text("#content").lower()  # app names are upper-cased by CSS
    assert "two-factor sign-in (authenticator apps)" in index and "otp_totp" not in index
    page.goto("/staff/")
    page.click("#nav-admin")  # admins find the admin from the staff pages
    page.wait_for_url("**/admin/")
    page.goto("/admin/sla/slapolicy/")
    page.get_by_role("link", name="Support: default", exact=True).click()
    assert page.input_value("#id_first_response_target") == "2 d"
    page.fill("#id_first_response_target", "6 h")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    # the list shows when a ticket filed now would be due under the changed policy
    row = page.locator("tr", has=page.get_by_role("link", name="Support: default", exact=True))
    assert "6 h" in row.inner_text()
    assert "first reply due if filed now" in page.inner_text("#result_list thead").lower()
    soon = timezone.now() + timedelta(hours=6)
    expected = {
        formats.date_format(soon + timedelta(minutes=delta), "DATETIME_FORMAT")
        for delta in (-1, 0, 1)
    }
    assert any(text in row.inner_text() for text in expected), row.inner_text()

    page = page_for()
    page.goto("/accounts/login/")
    page.fill("#id_username", customer.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:has-text('Log in')")
    page.goto("/tickets/new/?category=kyc")
    page.fill("#id_subject", "KYC review stuck")
    page.fill("#id_description", "Under review for two weeks.")
    page.click("#filing-submit")
    page.wait_for_selector("#first-response-due")

    ticket = Ticket.objects.get(customer=customer)
    assert ticket.first_response_due_at - ticket.created_at == pytest.approx(
        timedelta(hours=6), abs=timedelta(seconds=5)
    )
    shown = datetime.fromisoformat(page.get_attribute("#first-response-due", "datetime"))
    assert abs(shown - ticket.first_response_due_at) < timedelta(seconds=1)
