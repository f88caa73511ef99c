"""The customer's side of the lifecycle: proposal, accept or dispute, appeal, decision."""

import pytest
from django.urls import reverse

from escalation import services as lifecycle
from escalation.models import Panel
from tests.factories import (
    AgentFactory,
    CustomerFactory,
    UserFactory,
    category,
    png_upload,
    set_price,
)
from tickets import services
from tickets.models import Status, Tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(client):
    customer = CustomerFactory()
    ticket = services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("fees"),
        subject="Double fee",
        description="I was charged twice.",
        fields={"occurred_at": "2026-11-01 10:00"},
    )
    set_price("USDT", "1")  # worth 3 USD: under the approval limit
    services.ticket_propose_resolution(
        ticket=ticket,
        actor=AgentFactory(),
        kind="compensation",
        summary="We refund the fee.",
        amount="3",
        asset="USDT",
    )
    client.force_login(customer)
    return ticket


def test_the_proposal_shows_with_accept_and_dispute(client, proposed):
    html = client.get(reverse("tickets:detail", args=[proposed.reference])).content.decode()
    assert (
        "We refund the fee." in html
        and 'id="accept-proposal"' in html
        and 'id="appeal-form"' in html
    )
    assert "counts as accepted" in html


def test_accepting_resolves_the_case(client, proposed):
    response = client.post(reverse("escalation:accept", args=[proposed.reference]))
    assert response.status_code == 302
    proposed.refresh_from_db()
    assert proposed.status == Status.RESOLVED


def test_disputing_with_new_evidence_appeals(client, proposed):
    response = client.post(
        reverse("escalation:appeal", args=[proposed.reference]),
        {"reason": "I was charged three times, not twice.", "files": [png_upload("fees.png")]},
    )
    assert response.status_code == 302
    proposed.refresh_from_db()
    assert proposed.tier == Tier.APPEAL_CENTER
    assert proposed.attachments.get().original_name == "fees.png"


def test_an_appeal_without_a_reason_keeps_the_page_and_says_why(client, proposed):
    response = client.post(reverse("escalation:appeal", args=[proposed.reference]), {"reason": " "})
    assert response.status_code == 400
    assert "Tell us what you disagree with." in response.content.decode()
    proposed.refresh_from_db()
    assert proposed.tier == Tier.SUPPORT


def test_another_customer_cannot_answer(client, proposed):
    client.force_login(CustomerFactory())
    assert client.post(reverse("escalation:accept", args=[proposed.reference])).status_code == 404
    assert (
        client.post(
            reverse("escalation:appeal", args=[proposed.reference]), {"reason": "x"}
        ).status_code
        == 404
    )


def test_accepting_twice_is_a_409(client, proposed):
    client.post(reverse("escalation:accept", args=[proposed.reference]))
    assert client.post(reverse("escalation:accept", args=[proposed.reference])).status_code == 409


def test_the_published_decision_is_shown_with_its_reasons(client, proposed):
    members = [UserFactory(role="committee", is_staff=True) for _ in range(3)]
    lifecycle.appeal_file(ticket=proposed, customer=proposed.customer, reason="No")
    officer = UserFactory(role="appeal_officer", is_staff=True)
    services.ticket_propose_resolution(
        ticket=proposed, actor=officer, kind="explanation", summary="Confirmed."
    )
    lifecycle.appeal_file(ticket=proposed, customer=proposed.customer, reason="Still no")
    lifecycle.panel_draw(ticket=proposed)
    for member in members:
        lifecycle.vote_cast(
            ticket=proposed,
            member=member,
            decision="overturn",
            rationale=f"Reason of {member.pk}",
            remedy="Refund 9 USDT",
        )
    panel = Panel.objects.get(ticket=proposed)
    lifecycle.decision_publish(
        ticket=proposed, member=panel.drafter, rationale="The panel agrees.", remedy="Refund 9 USDT"
    )
    html = client.get(reverse("tickets:detail", args=[proposed.reference])).content.decode()
    assert 'id="decision"' in html and "Overturn" in html and "Refund 9 USDT" in html
    assert html.count("Refund 9 USDT") == 1 and "Reason of" not in html
    assert "This decision is final." in html
    assert 'id="appeal-form"' not in html and 'id="reply-form"' not in html
