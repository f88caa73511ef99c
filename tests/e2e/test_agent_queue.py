"""An agent, in a real browser: two-factor sign-in, the queue, the workbench, bulk actions."""

import pytest

from tests.e2e.helpers import sign_in
from tests.factories import (
    AgentFactory,
    CustomerFactory,
    category,
    enroll_totp,
)
from tickets import services
from tickets.models import Message, Status, Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def filed(customer, subject):
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("other"),
        subject=subject,
        description="Something went wrong with my account.",
        fields={},
    )


def test_agent_takes_a_case_replies_and_asks_the_customer(page_for):
    agent = AgentFactory(full_name="Alex Agent")
    device = enroll_totp(agent)
    customer = CustomerFactory(full_name="Lin Wei")
    ticket = filed(customer, "Referral bonus never paid")
    page = page_for()

    sign_in(page, agent, device=device)
    page.locator("#queue-tabs").get_by_role("link", name="Support").click()
    page.wait_for_url("**view=support**")
    page.get_by_role("link", name=ticket.reference).click()
    page.wait_for_selector("#workbench")
    assert page.inner_text("#ticket-status") == "New"

    page.click("#claim-button")
    page.wait_for_selector(".alert-success >> text=The case is yours.")
    assert "Assigned to Alex Agent" in page.inner_text("#ticket-assignee")

    page.fill("#id_reply-body", "Thank you, we are checking the referral records.")
    page.click("#reply-submit")
    page.wait_for_selector(".alert-success >> text=Your reply is sent to the customer.")
    assert "we are checking the referral records" in page.inner_text("#conversation")

    page.click("label[for=tab-request_info]")
    page.fill("#id_request_info-body", "Which account invited you? Please send its UID.")
    page.click("#request_info-submit")
    page.wait_for_selector(".alert-success >> text=Question sent.")
    assert page.inner_text("#ticket-status") == "Waiting on customer"

    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING_CUSTOMER and ticket.assignee == agent
    assert Message.objects.filter(ticket=ticket, author=agent).count() == 2

    customer_page = page_for()
    sign_in(customer_page, customer, next_url=f"/tickets/{ticket.reference}/")
    assert customer_page.inner_text("#ticket-status") == "Waiting for you"
    assert "Please send its UID." in customer_page.inner_text("#conversation")


def test_bulk_assign_two_ticked_rows_to_another_agent(page_for):
    agent = AgentFactory(full_name="Alex Agent")
    device = enroll_totp(agent)
    colleague = AgentFactory(full_name="Bea Berger")
    customer = CustomerFactory()
    first, second, untouched = (
        filed(customer, "Fee charged twice"),
        filed(customer, "Cannot upload passport"),
        filed(customer, "API returns 429"),
    )
    page = page_for()

    sign_in(page, agent, device=device)
    page.goto("/staff/?view=all")
    page.check(f"input.row-select[value='{first.reference}']")
    page.check(f"input.row-select[value='{second.reference}']")
    assert page.inner_text("#bulk-count") == "2"
    page.select_option("#bulk-form select[name=action]", "assign")
    page.fill("#bulk-form input[name=assignee]", colleague.email)
    page.click("#bulk-submit")

    page.wait_for_selector(".alert-success")
    summary = page.inner_text(".messages")
    assert f"Assigned: {first.reference}, {second.reference}." in summary
    for ticket in (first, second):
        row = page.locator(f"tr[data-reference='{ticket.reference}'] .assignee-col")
        assert row.inner_text() == "Bea Berger"
    untouched_row = page.locator(f"tr[data-reference='{untouched.reference}'] .assignee-col")
    assert "unassigned" in untouched_row.inner_text()
    assert set(Ticket.objects.filter(assignee=colleague).values_list("reference", flat=True)) == {
        first.reference,
        second.reference,
    }


def test_a_new_agent_lands_on_their_teams_unassigned_cases(page_for):
    from accounts.models import Team

    agent = AgentFactory(full_name="Nina Newcomer")
    Team.objects.get(code="general").members.add(agent)
    device = enroll_totp(agent)
    ticket = filed(CustomerFactory(), "Referral bonus never paid")
    page = page_for()

    sign_in(page, agent, device=device)
    active = page.locator("#queue-tabs .nav-link.active")
    assert active.get_attribute("data-view") == "unassigned"
    assert page.locator(f"tr[data-reference='{ticket.reference}']").count() == 1
