"""The regulator's clock on the staff side and the customer's: the workbench's delay notice,
the queue's "past the deadline" view and team filter, the case page, the API and the case file."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Team
from tests.factories import AgentFactory, CustomerFactory, category, login_verified
from tickets import services
from tickets.models import DelayNotice

pytestmark = pytest.mark.django_db


def filed(code="other", customer=None):
    customer = customer or CustomerFactory()
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category(code),
        subject="Referral bonus",
        description="My referral bonus was never paid.",
        fields={},
    )


def notice(ticket, agent, reason="We wait for the partner's records."):
    expected = timezone.localdate(ticket.final_decision_due_at) + timedelta(days=14)
    return services.ticket_record_delay_notice(
        ticket=ticket, actor=agent, reason=reason, expected_by=expected
    )


def test_staff_send_a_delay_notice_from_the_workbench(client):
    agent, ticket = AgentFactory(), filed()
    login_verified(client, agent)
    page = client.get(reverse("staff:ticket", args=[ticket.reference])).content.decode()
    assert 'id="final-decision"' in page and 'id="action-delay_notice"' in page
    expected = timezone.localdate(ticket.final_decision_due_at) + timedelta(days=10)
    response = client.post(
        reverse("staff:delay_notice", args=[ticket.reference]),
        {
            "delay_notice-reason": "The bank has not answered yet.",
            "delay_notice-expected_by": expected.isoformat(),
        },
        follow=True,
    )
    assert "Delay notice sent to the customer." in response.content.decode()
    assert DelayNotice.objects.get(ticket=ticket).expected_by == expected
    assert "The bank has not answered yet." in response.content.decode()


def test_a_refused_delay_notice_shows_its_form_again(client):
    agent, ticket = AgentFactory(), filed()
    login_verified(client, agent)
    response = client.post(
        reverse("staff:delay_notice", args=[ticket.reference]),
        {"delay_notice-reason": "", "delay_notice-expected_by": ""},
    )
    assert response.status_code == 400
    assert "Tell the customer why the decision takes longer." in response.content.decode()
    assert not DelayNotice.objects.exists()


def test_the_customer_sees_the_deadline_and_the_delay_notice(client):
    ticket = filed()
    client.force_login(ticket.customer)
    page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert 'id="final-decision-due"' in page and 'id="delay-notices"' not in page
    notice(ticket, AgentFactory())
    page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert "We need more time" in page and "partner&#x27;s records" in page


def test_the_api_detail_carries_the_deadline_and_any_delay_notice():
    ticket = filed()
    notice(ticket, AgentFactory())
    api = APIClient()
    api.force_authenticate(ticket.customer)
    data = api.get(f"/api/v1/tickets/{ticket.reference}/").json()
    assert data["final_decision_due_at"].startswith(ticket.final_decision_due_at.date().isoformat())
    assert data["final_decision_at"] is None
    (sent,) = data["delay_notices"]
    assert sent["reason"] == "We wait for the partner's records." and sent["expected_by"]


def test_the_case_file_holds_the_deadline_and_the_delay_notices(client):
    ticket = filed()
    notice(ticket, AgentFactory())
    client.force_login(ticket.customer)
    response = client.get(reverse("escalation:case_file", args=[ticket.reference]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    case = json.loads(archive.read("case.json"))
    assert case["final_decision_due_at"] and case["final_decision_at"] is None
    assert case["delay_notices"][0]["reason"] == "We wait for the partner's records."
    assert "partner&#x27;s records" in archive.read("conversation.html").decode()
    timeline = json.loads(archive.read("timeline.json"))
    assert any(event["kind"] == "delay_notice" for event in timeline)


def test_the_queue_lists_cases_past_the_final_decision_deadline(client):
    agent = AgentFactory()
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=61), tick=False):
        late = filed()
    on_time = filed()
    login_verified(client, agent)
    page = client.get(reverse("staff:queue"), {"view": "past_decision"}).content.decode()
    assert late.reference in page and on_time.reference not in page
    assert 'data-count="past_decision">1<' in page


def test_the_queue_filters_by_team(client):
    agent = AgentFactory()
    other, kyc = filed("other"), filed("kyc")
    assert other.team_id != kyc.team_id
    login_verified(client, agent)
    team = Team.objects.get(pk=kyc.team_id)
    page = client.get(reverse("staff:queue"), {"view": "all", "team": team.code}).content.decode()
    assert kyc.reference in page and other.reference not in page
