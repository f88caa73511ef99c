"""The staff workbench in a real browser: the audit trail, proposals, approvals, confirmations."""

from decimal import Decimal

import pytest

from escalation import services as lifecycle
from tests.e2e.helpers import signed_in
from tests.factories import AgentFactory, CustomerFactory, UserFactory, category, set_price
from tickets import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def filed(customer=None, code="other", fields=None):
    customer = customer or CustomerFactory()
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category(code),
        subject="Fee charged twice",
        description="The trading fee was taken twice.",
        fields=fields or {},
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_audit_trail_reads_in_staffs_words_and_names_who_did_what(
    page_for, live_server, settings, language
):
    settings.REDRESS_APPROVAL_LIMIT = Decimal("100")
    set_price("USDT", "1")  # 500 USDT waits for a second person; 12 USDT does not
    agent = AgentFactory(full_name="Alex Agent")
    approver = UserFactory(role="appeal_officer", is_staff=True, full_name="Avery Appeals")
    ticket = filed()
    services.ticket_request_info(ticket=ticket, actor=agent, body="Which order was it?")
    services.ticket_add_message(ticket=ticket, author=ticket.customer, body="Order 17345.")
    proposal = services.ticket_propose_resolution(
        ticket=ticket,
        actor=agent,
        kind="compensation",
        summary="Refund",
        amount="250",
        asset="USDT",
    )
    lifecycle.resolution_approve(resolution_id=proposal.pk, approver=approver)

    page = page_for(language, storage_state=signed_in(live_server, agent, staff=True))
    page.goto(f"/staff/tickets/{ticket.reference}/")
    trail = page.inner_text("#timeline")

    if language == "en":
        assert "Waiting on customer" in trail and "Waiting for you" not in trail
        assert "Category: Other" in trail and "Channel: Web" in trail
        proposed = page.locator("#timeline li", has_text="Kind: Compensation").last.inner_text()
        assert "Alex Agent" in proposed and "Approved by: Avery Appeals" in proposed
        moved = page.locator("#timeline li", has_text="→ Resolution proposed").inner_text()
        assert "Avery Appeals" in moved
    else:
        assert "等待客户回复" in trail and "等待您回复" not in trail
        assert "类别: 其他" in trail
    for code in ("other", "web", "compensation", "pending_customer", "@example.com"):
        assert code not in trail


def test_proposing_compensation_above_the_limit_says_it_waits_for_approval(
    page_for, live_server, settings
):
    settings.REDRESS_APPROVAL_LIMIT = Decimal("1000")
    agent = AgentFactory()
    ticket = filed()
    page = page_for(storage_state=signed_in(live_server, agent, staff=True))
    page.goto(f"/staff/tickets/{ticket.reference}/")

    page.click("#action-propose summary")
    page.select_option("#id_propose-kind", "compensation")
    page.fill("#id_propose-summary", "We refund the double fee and a goodwill credit.")
    page.fill("#id_propose-amount", "2500")
    page.select_option("#id_propose-asset", "USDT")
    page.click("#propose-submit")

    page.wait_for_selector("#pending-approval")
    told = page.inner_text("#messages")
    assert "waits for a second person's approval" in told
    assert "can accept" not in told


def test_rejecting_asks_first_and_shows_the_reason_the_customer_will_read(page_for, live_server):
    agent = AgentFactory()
    ticket = filed()
    page = page_for(storage_state=signed_in(live_server, agent, staff=True))
    page.goto(f"/staff/tickets/{ticket.reference}/")

    page.click("#action-reject summary")
    page.fill("#id_reject-reason", "This is about a partner's service, which we do not run.")
    page.click("#reject-submit")
    page.wait_for_selector("#reject-confirm")
    assert "partner's service" in page.inner_text("#reject-confirm")
    ticket.refresh_from_db()
    assert ticket.status == "new"  # one click changed nothing

    page.click("#reject-submit")  # "Yes, reject it"
    page.wait_for_selector(".alert-success >> text=The complaint is rejected")
    ticket.refresh_from_db()
    assert ticket.status == "rejected"


def test_an_approver_sends_a_proposal_back_and_its_author_changes_it(
    page_for, live_server, settings
):
    settings.REDRESS_APPROVAL_LIMIT = Decimal("100")
    set_price("USDT", "1")  # 500 USDT waits for a second person; 12 USDT does not
    agent = AgentFactory(full_name="Alex Agent")
    approver = UserFactory(role="appeal_officer", is_staff=True, full_name="Avery Appeals")
    ticket = filed()
    proposal = services.ticket_propose_resolution(
        ticket=ticket,
        actor=agent,
        kind="compensation",
        summary="Refund",
        amount="500",
        asset="USDT",
    )

    page = page_for(width=375, storage_state=signed_in(live_server, approver, staff=True))
    page.goto("/staff/")
    assert page.inner_text("#approvals-count") == "1"
    page.click("#nav-approvals")
    page.click(f"#send-back-{proposal.pk} summary")
    page.fill(f"#id_back-{proposal.pk}-reason", "Refund the double fee only: 12 USDT.")
    page.click(f"#send-back-submit-{proposal.pk}")
    page.wait_for_selector(".alert-success >> text=Sent back to Alex Agent")
    page.goto("/staff/")
    assert page.inner_text("#approvals-count") == "0"

    author = page_for(storage_state=signed_in(live_server, agent, staff=True))
    author.goto(f"/staff/tickets/{ticket.reference}/")
    assert "Refund the double fee only" in author.inner_text("#sent-back")
    assert "Avery Appeals" in author.inner_text("#sent-back")
    author.click("#action-propose summary")
    assert author.input_value("#id_propose-amount") == "500"
    assert "Worth more than 100 USD at the asset's reference price" in author.inner_text(
        "#action-propose"
    )
    author.fill("#id_propose-amount", "12")
    author.click("#propose-submit")
    author.wait_for_selector(".alert-success >> text=The customer can accept or dispute it.")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_canned_reply_is_filled_in_the_customers_language(page_for, live_server, language):
    from tickets.models import CannedReply

    CannedReply.objects.create(
        title="Ask for the TxID",
        body_en="Hello {customer_name}, please send the TxID for {reference} by {due}.",
        body_zh="{customer_name}，您好！请在 {due} 前提供案件 {reference} 的 TxID。",
    )
    customer = CustomerFactory(full_name="Lin Wei")
    customer.customer_profile.preferred_language = language
    customer.customer_profile.save()
    ticket = filed(customer)
    page = page_for(storage_state=signed_in(live_server, AgentFactory(), staff=True))
    page.goto(f"/staff/tickets/{ticket.reference}/")

    page.fill("#id_reply-body", "Thank you.")
    page.select_option("#canned-select", label="Ask for the TxID")
    page.wait_for_function("() => document.querySelector('#id_reply-body').value.includes('TxID')")
    body = page.input_value("#id_reply-body")
    due = ticket.first_response_due_at
    if language == "en":
        assert body.startswith("Thank you.\n\nHello Lin Wei, please send the TxID")
        assert f"{due:%b} {due.day}, {due.year}, {due:%H:%M} UTC" in body
    else:
        assert body.startswith("Thank you.\n\nLin Wei，您好！")
        assert f"{due.year}年{due.month}月{due.day}日 {due:%H:%M} UTC 前" in body
    assert ticket.reference in body and "{" not in body
    page.click("#reply-submit")
    page.wait_for_selector(".alert-success >> text=Your reply is sent to the customer.")
