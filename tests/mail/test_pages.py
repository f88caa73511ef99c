"""The mail room's pages: preferences on the profile, held mail and bounces for staff."""

import pytest

from mail.models import Bounce, InboundMessage, OptOut
from tests.factories import AgentFactory, CustomerFactory, login_verified
from tests.mail.helpers import compose
from tests.mail.test_inbound import receive
from tests.mail.test_outbound import file

pytestmark = pytest.mark.django_db


def test_a_customer_chooses_their_updates_but_not_the_required_mails(client):
    customer = CustomerFactory()
    client.force_login(customer)
    page = client.get("/accounts/profile/").content.decode()
    assert 'data-kind="reply"' in page and 'data-kind="escalated"' in page
    assert 'data-kind="received"' not in page and 'data-kind="proposal"' not in page
    assert "Questions we need you to answer" in page  # listed as always sent
    assert 'data-kind="approval_waiting"' not in page  # staff kinds are staff's
    response = client.post("/mail/preferences/", {"escalated": "on", "panel": "on", "received": ""})
    assert response.status_code == 302 and response.url == "/accounts/profile/"
    assert set(OptOut.objects.filter(user=customer).values_list("kind", flat=True)) == {
        "reply",
        "resolved",
        "rating_request",
    }
    page = client.get("/accounts/profile/").content.decode()
    assert 'data-kind="escalated" checked' in page and 'data-kind="reply" checked' not in page


def test_a_staff_member_turns_a_kind_off_and_on_again(client):
    agent = AgentFactory()
    login_verified(client, agent)
    page = client.get("/accounts/profile/").content.decode()
    assert 'data-kind="customer_wrote" checked' in page and 'data-kind="reply"' not in page
    checked = {"approval_waiting": "on", "panel_seat": "on", "deadline_close": "on"}
    client.post("/mail/preferences/", checked)
    assert set(OptOut.objects.filter(user=agent).values_list("kind", flat=True)) == {
        "customer_wrote",
        "last_tier_breach",
        "panel_waiting",
        "decision_due",
        "low_score",
        "summary",
    }
    client.post("/mail/preferences/", {**checked, "customer_wrote": "on"})
    assert not OptOut.objects.filter(user=agent, kind="customer_wrote").exists()


def test_held_mail_is_listed_for_staff_with_its_reason_and_can_be_dismissed(client):
    ticket = file()
    held = receive(compose(sender="mallory@example.net", subject=f"Re: {ticket.reference}"))
    login_verified(client, AgentFactory())
    page = client.get("/mail/held/").content.decode()
    assert "mallory@example.net" in page and "is not the customer of" in page
    raw = client.get(f"/mail/held/{held.pk}/message.eml")
    assert raw["Content-Type"] == "message/rfc822" and raw["Content-Disposition"].startswith(
        "attachment"
    )
    assert client.post(f"/mail/held/{held.pk}/dismiss/").status_code == 302
    held.refresh_from_db()
    assert held.state == InboundMessage.State.DISMISSED
    assert "mallory@example.net" not in client.get("/mail/held/").content.decode()


def test_held_mail_is_in_chinese_for_staff_reading_chinese(client):
    ticket = file()
    receive(compose(sender="mallory@example.net", subject=f"Re: {ticket.reference}"))
    login_verified(client, AgentFactory())
    page = client.get("/mail/held/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "暂存邮件" in page


def test_customers_never_see_held_mail(client):
    client.force_login(CustomerFactory())
    assert client.get("/mail/held/").status_code == 404


def test_the_workbench_says_when_the_customers_address_bounces(client):
    ticket = file()
    Bounce.objects.create(address=ticket.customer.email, reason="550 5.1.1 user unknown")
    login_verified(client, AgentFactory())
    page = client.get(f"/staff/tickets/{ticket.reference}/").content.decode()
    assert 'id="customer-bounces"' in page and "550 5.1.1 user unknown" in page
