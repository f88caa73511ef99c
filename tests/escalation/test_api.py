"""The case's detail in the API carries what a mobile app shows the customer: proposals with
what they may do about them, appeals, and the committee's decision (DESIGN.md's contract)."""

import pytest
from rest_framework.test import APIClient

from escalation import services as lifecycle
from tests.factories import AgentFactory, CustomerFactory, UserFactory, category, set_price
from tickets import services

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def ticket():
    customer = CustomerFactory()
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("other"),
        subject="Fee charged twice",
        description="The trading fee was taken twice.",
        fields={},
    )


def detail(user, ticket) -> dict:
    response = client_for(user).get(f"/api/v1/tickets/{ticket.reference}/")
    assert response.status_code == 200
    return response.json()


def test_the_open_proposal_says_what_the_customer_may_do_and_until_when(ticket):
    set_price("USDT", "1")  # worth 250 USD: under the approval limit, so the customer sees it
    services.ticket_propose_resolution(
        ticket=ticket,
        actor=AgentFactory(),
        kind="compensation",
        summary="We refund the fee.",
        amount="250",
        asset="USDT",
    )
    ticket.refresh_from_db()
    (proposal,) = detail(ticket.customer, ticket)["proposals"]
    assert proposal["kind"] == "compensation" and proposal["summary"] == "We refund the fee."
    assert (proposal["amount"], proposal["asset"], proposal["state"]) == ("250", "USDT", "proposed")
    assert proposal["customer_actions"] == ["accept-resolution", "appeal"]
    assert proposal["answer_by"].startswith(ticket.lifecycle_due_at.strftime("%Y-%m-%dT%H:%M"))

    client_for(ticket.customer).post(
        f"/api/v1/tickets/{ticket.reference}/accept-resolution/", {}, format="json"
    )
    (answered,) = detail(ticket.customer, ticket)["proposals"]
    assert answered["state"] == "accepted"
    assert answered["customer_actions"] == [] and answered["answer_by"] is None


def test_a_proposal_waiting_for_its_approval_is_staffs_only(ticket, settings):
    settings.REDRESS_APPROVAL_LIMIT = 100
    agent = AgentFactory()
    services.ticket_propose_resolution(
        ticket=ticket,
        actor=agent,
        kind="compensation",
        summary="We refund it all.",
        amount="5000",
        asset="USDT",
    )
    assert detail(ticket.customer, ticket)["proposals"] == []
    (waiting,) = detail(agent, ticket)["proposals"]
    assert waiting["state"] == "pending_approval" and waiting["customer_actions"] == []


def test_appeals_and_the_committees_decision_through_the_api(ticket):
    customer = ticket.customer
    members = [UserFactory(role="committee", is_staff=True) for _ in range(3)]
    agent, officer = AgentFactory(), UserFactory(role="appeal_officer", is_staff=True)
    api = client_for(customer)
    path = f"/api/v1/tickets/{ticket.reference}"
    assert (
        detail(customer, ticket)["appeals"] == [] and detail(customer, ticket)["decision"] is None
    )

    services.ticket_propose_resolution(
        ticket=ticket, actor=agent, kind="explanation", summary="The fee was right."
    )
    api.post(f"{path}/appeal/", {"reason": "It was charged twice."}, format="json")
    services.ticket_claim(ticket=ticket, actor=officer)
    services.ticket_propose_resolution(
        ticket=ticket, actor=officer, kind="explanation", summary="Confirmed."
    )
    api.post(f"{path}/appeal/", {"reason": "Look at the statement."}, format="json")
    appeals = detail(customer, ticket)["appeals"]
    assert [(a["from_tier"], a["to_tier"]) for a in appeals] == [
        ("support", "appeal_center"),
        ("appeal_center", "dispute_committee"),
    ]
    assert appeals[0]["reason"] == "It was charged twice." and appeals[0]["state"] == "decided"

    panel = lifecycle.panel_draw(ticket=ticket)  # a task, on commit, outside tests
    for member, decision in zip(members, ["overturn", "overturn", "uphold"], strict=True):
        voted = client_for(member).post(
            f"{path}/vote/",
            {"decision": decision, "rationale": f"{decision} reasons", "remedy": "Refund."},
            format="json",
        )
        assert voted.status_code == 200
    assert detail(customer, ticket)["decision"] is None  # written, not yet published
    panel.refresh_from_db()
    published = client_for(panel.drafter).post(
        f"{path}/publish-decision/",
        {"rationale": "Charged twice: the statement shows it.", "remedy": "Refund the fee."},
        format="json",
    )
    assert published.status_code == 200
    decision = detail(customer, ticket)["decision"]
    assert decision["decision"] == "overturn" and decision["remedy"] == "Refund the fee."
    assert decision["rationale"] == "Charged twice: the statement shows it."
    assert decision["decided_at"]


def test_the_schema_describes_proposals_appeals_and_the_decision(client):
    schema = client.get("/api/schema/?format=json").json()
    detail_schema = schema["components"]["schemas"]["TicketDetailOutput"]["properties"]
    assert {"proposals", "appeals", "decision"} <= set(detail_schema)
    proposal = schema["components"]["schemas"]["ProposalOutput"]["properties"]
    assert {"kind", "summary", "amount", "asset", "state", "customer_actions", "answer_by"} <= set(
        proposal
    )
    assert "/api/v1/tickets/{reference}/publish-decision/" in schema["paths"]


def test_a_second_person_sends_a_proposal_back_through_the_api(ticket, settings):
    settings.REDRESS_APPROVAL_LIMIT = 100
    agent = AgentFactory()
    services.ticket_propose_resolution(
        ticket=ticket, actor=agent, kind="compensation", summary="All", amount="500", asset="USDT"
    )
    officer = UserFactory(role="appeal_officer", is_staff=True)
    response = client_for(officer).post(
        f"/api/v1/tickets/{ticket.reference}/send-back-resolution/",
        {"reason": "Only the fee."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["proposals"][0]["state"] == "sent_back"
    assert detail(ticket.customer, ticket)["proposals"] == []  # it never reached them
