"""Every staff action, through its service and its API endpoint, with the illegal cases."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from accounts.models import Team
from escalation import services as lifecycle
from tests.factories import (
    AgentFactory,
    CustomerFactory,
    TicketFactory,
    UserFactory,
    category,
    set_price,
)
from tickets import services
from tickets.exceptions import InvalidTransition, NotAllowed
from tickets.models import EventKind, Resolution, Status, Ticket, Tier

pytestmark = pytest.mark.django_db


def filed(code="kyc", customer=None, **fields):
    customer = customer or CustomerFactory()
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category(code),
        subject="Help",
        description="Something went wrong.",
        fields=fields,
    )


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def agent():
    return AgentFactory()


def test_claim_takes_and_opens_a_new_case(agent):
    ticket = services.ticket_claim(ticket=filed(), actor=agent)
    assert ticket.assignee == agent and ticket.status == Status.OPEN
    assert ticket.events.filter(kind=EventKind.ASSIGNED).exists()


def test_a_customer_cannot_claim():
    ticket = filed()
    with pytest.raises(NotAllowed):
        services.ticket_claim(ticket=ticket, actor=ticket.customer)


def test_assign_to_a_staff_member_or_a_team(agent):
    ticket = filed()
    other = AgentFactory()
    services.ticket_assign(ticket=ticket, actor=agent, assignee=other.email)
    ticket.refresh_from_db()
    assert ticket.assignee == other
    services.ticket_assign(ticket=ticket, actor=agent, team="security")
    ticket.refresh_from_db()
    assert ticket.team.code == "security"
    with pytest.raises(ValidationError):
        services.ticket_assign(ticket=ticket, actor=agent, assignee=CustomerFactory().email)


def test_round_robin_hands_new_cases_to_available_members_in_turn():
    team = Team.objects.get(code="verification")
    team.round_robin = True
    team.save()
    first, away, second = AgentFactory(), AgentFactory(is_available=False), AgentFactory()
    # Only agents take support cases: an officer in the team is skipped.
    team.members.add(first, away, UserFactory(role="appeal_officer", is_staff=True), second)
    assignees = [filed().assignee for _ in range(3)]
    assert assignees == [first, second, first]


def test_reject_needs_a_reason_the_customer_sees_and_can_be_appealed(agent):
    ticket = filed()
    with pytest.raises(ValidationError):
        services.ticket_reject(ticket=ticket, actor=agent, reason="  ")
    services.ticket_reject(ticket=ticket, actor=agent, reason="This is about another exchange.")
    ticket.refresh_from_db()
    assert ticket.status == Status.REJECTED
    assert ticket.escalation_due_at is None
    assert ticket.messages.get().body == "This is about another exchange."
    with pytest.raises(InvalidTransition):
        services.ticket_reject(ticket=ticket, actor=agent, reason="again")


def test_propose_a_compensation_with_amount_and_asset(agent):
    set_price("USDT", "1")
    ticket = filed()
    with pytest.raises(ValidationError) as refused:
        services.ticket_propose_resolution(
            ticket=ticket, actor=agent, kind="compensation", summary="We refund"
        )
    assert {"amount", "asset"} <= set(refused.value.message_dict)
    resolution = services.ticket_propose_resolution(
        ticket=ticket,
        actor=agent,
        kind="compensation",
        summary="We refund the fee.",
        amount="12.5",
        asset="USDT",
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLUTION_PROPOSED
    assert resolution.amount == Decimal("12.5") and resolution.asset.code == "USDT"
    assert ticket.escalation_due_at is None  # the customer owes the answer now


def test_a_new_proposal_withdraws_the_last(agent):
    ticket = filed()
    services.ticket_propose_resolution(
        ticket=ticket, actor=agent, kind="explanation", summary="First"
    )
    ticket.refresh_from_db()
    with pytest.raises(InvalidTransition):
        services.ticket_propose_resolution(
            ticket=ticket, actor=agent, kind="explanation", summary="Second"
        )
    assert Resolution.objects.filter(ticket=ticket, state="proposed").count() == 1


def test_escalate_by_hand_moves_up_with_the_new_tiers_clock(agent):
    ticket = filed()
    services.ticket_claim(ticket=ticket, actor=agent)
    lifecycle.ticket_escalate(ticket=ticket, actor=agent, reason="Loss above 10,000 USDT")
    ticket.refresh_from_db()
    assert ticket.tier == Tier.APPEAL_CENTER and ticket.assignee is None
    assert ticket.sla_policy.tier == Tier.APPEAL_CENTER
    event = ticket.events.get(kind=EventKind.TIER)
    assert event.data == {"reason": "manual", "note": "Loss above 10,000 USDT"}
    officer = UserFactory(role="appeal_officer", is_staff=True)
    with pytest.raises(ValidationError):
        lifecycle.ticket_escalate(ticket=ticket, actor=officer, reason="")


def test_no_tier_above_the_committee(agent):
    # Nobody escalates at the committee: it is the panel's case (tickets.authority), and
    # the transition table knows there is no tier above it (tests/tickets/test_transitions).
    ticket = TicketFactory(status=Status.OPEN, tier=Tier.DISPUTE_COMMITTEE)
    for actor in (agent, UserFactory(role="admin", is_staff=True)):
        with pytest.raises(NotAllowed, match="only the panel votes"):
            lifecycle.ticket_escalate(ticket=ticket, actor=actor, reason="more")


def test_priority_change_moves_the_deadlines_to_the_new_policy(agent):
    ticket = filed()
    assert ticket.first_response_due_at - ticket.sla_started_at == timedelta(hours=48)
    services.ticket_change_priority(
        ticket=ticket, actor=agent, priority="urgent", reason="Large loss"
    )
    ticket.refresh_from_db()
    assert ticket.sla_policy.name == "Support: urgent"
    assert ticket.first_response_due_at - ticket.sla_started_at == timedelta(hours=4)
    assert ticket.events.get(kind=EventKind.PRIORITY).data["reason"] == "Large loss"


def test_category_change_routes_to_the_new_team(agent):
    ticket = filed()
    services.ticket_change_category(
        ticket=ticket,
        actor=agent,
        category=category("compromised-account"),
        reason="Account was taken",
    )
    ticket.refresh_from_db()
    assert ticket.category.code == "compromised-account" and ticket.team.code == "security"
    assert ticket.sla_policy.name == "Support: compromised account"


def test_merge_closes_the_duplicate_into_the_other_case(agent):
    customer = CustomerFactory()
    keep, duplicate = filed(customer=customer), filed(customer=customer)
    services.ticket_merge(ticket=duplicate, actor=agent, into=keep)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED and duplicate.merged_into == keep
    assert keep.events.filter(kind=EventKind.MERGED).exists()
    with pytest.raises(ValidationError):
        services.ticket_merge(ticket=filed(), actor=agent, into=keep)  # another customer's


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("claim", {}),
        ("assign", {"team": "security"}),
        ("request-info", {"body": "Which network?"}),
        ("propose-resolution", {"kind": "explanation", "summary": "It was delayed by the chain."}),
        ("escalate", {"reason": "Large loss"}),
        ("reject", {"reason": "Not our service"}),
        ("change-priority", {"priority": "high", "reason": "VIP"}),
        ("change-category", {"category": "fees", "reason": "It is about a fee"}),
    ],
)
def test_api_actions_for_staff_and_refused_for_customers(action, body):
    ticket = filed()
    customer_response = api_for(ticket.customer).post(
        f"/api/v1/tickets/{ticket.reference}/{action}/", body, format="json"
    )
    assert customer_response.status_code == 403
    response = api_for(AgentFactory()).post(
        f"/api/v1/tickets/{ticket.reference}/{action}/", body, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["reference"] == ticket.reference


def test_api_illegal_move_is_409_with_a_reason():
    ticket = TicketFactory(status=Status.CLOSED)
    response = api_for(AgentFactory()).post(
        f"/api/v1/tickets/{ticket.reference}/reject/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 409 and response.json()["detail"]
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


def test_api_merge_and_bad_bodies():
    customer = CustomerFactory()
    keep, duplicate = filed(customer=customer), filed(customer=customer)
    agent = api_for(AgentFactory())
    assert (
        agent.post(
            f"/api/v1/tickets/{duplicate.reference}/merge/", {"into": keep.reference}, format="json"
        ).status_code
        == 200
    )
    assert (
        agent.post(f"/api/v1/tickets/{keep.reference}/assign/", {}, format="json").status_code
        == 400
    )
    assert (
        agent.post(
            f"/api/v1/tickets/{keep.reference}/change-priority/",
            {"priority": "extreme", "reason": "x"},
            format="json",
        ).status_code
        == 400
    )


def test_internal_notes_never_reach_the_customer_through_the_api():
    ticket = filed()
    agent = api_for(AgentFactory())
    agent.post(
        f"/api/v1/tickets/{ticket.reference}/messages/",
        {"body": "Possible fraud ring", "internal": True},
        format="json",
    )
    seen = api_for(ticket.customer).get(f"/api/v1/tickets/{ticket.reference}/").content.decode()
    assert "fraud ring" not in seen
    listing = api_for(ticket.customer).get("/api/v1/tickets/").content.decode()
    assert "fraud ring" not in listing
