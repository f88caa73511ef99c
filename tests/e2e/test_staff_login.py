"""An agent signs in in a real browser: password, then the code from the authenticator app."""

import pytest

from tests.factories import PASSWORD, AgentFactory, enroll_totp, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_agent_signs_in_with_password_and_code_and_reaches_a_staff_page(page_for):
    agent = AgentFactory(email="agent@example.com", full_name="Alex Agent")
    device = enroll_totp(agent)

    page = page_for()
    page.goto("/admin/")
    page.wait_for_url("**/accounts/login/?next=/admin/")
    page.fill("#id_username", agent.email)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url("**/accounts/login/code/**")
    assert page.get_by_text("Enter the 6-digit code from your authenticator app").first.is_visible()
    page.fill("#id_otp_token", "000000")
    page.get_by_role("button", name="Verify").click()
    assert page.get_by_text("That code is not right").is_visible()

    page.wait_for_timeout(1100)  # django-otp waits a second after a wrong code
    page.fill("#id_otp_token", totp_code(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/admin/")
    assert page.get_by_role("heading", name="Site administration").is_visible()
