"""Resolutions, appeals and the committee: every rule of the lifecycle, on the real database."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from escalation import services as lifecycle
from escalation import sweep
from escalation.models import Appeal, Panel, Vote
from tests.factories import AgentFactory, CustomerFactory, UserFactory, category, set_price
from tickets import services
from tickets.exceptions import InvalidTransition, NotAllowed
from tickets.models import Resolution, Status, Tier

pytestmark = pytest.mark.django_db


def filed(customer=None):
    customer = customer or CustomerFactory()
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("kyc"),
        subject="KYC refused",
        description="My verification was refused without a reason.",
        fields={},
    )


def committee(count=3):
    return [UserFactory(role="committee", is_staff=True) for _ in range(count)]


def propose(ticket, agent, **kwargs):
    kwargs.setdefault("kind", "explanation")
    kwargs.setdefault("summary", "Your document was blurred; please upload it again.")
    return services.ticket_propose_resolution(ticket=ticket, actor=agent, **kwargs)


def reload(ticket):
    ticket.refresh_from_db()
    return ticket


def test_the_customer_accepts_and_the_case_is_resolved_then_closes_after_the_window():
    ticket, agent = filed(), AgentFactory()
    propose(ticket, agent)
    lifecycle.resolution_accept(ticket=ticket, actor=ticket.customer)
    ticket = reload(ticket)
    assert ticket.status == Status.RESOLVED and ticket.resolved_at
    assert ticket.resolutions.get().state == Resolution.State.ACCEPTED
    assert ticket.escalation_due_at is None
    result = sweep.sweep(now=timezone.now() + timedelta(days=31))
    assert ticket.pk in result.lifecycle
    assert reload(ticket).status == Status.CLOSED
    with pytest.raises(InvalidTransition, match="closed"):
        services.ticket_add_message(ticket=ticket, author=ticket.customer, body="hello?")


def test_no_answer_counts_as_acceptance_after_the_configured_days(settings):
    settings.REDRESS_ACCEPT_AFTER_DAYS = 7
    ticket = filed()
    propose(ticket, AgentFactory())
    assert not sweep.sweep(now=timezone.now() + timedelta(days=6)).lifecycle
    sweep.sweep(now=timezone.now() + timedelta(days=7, minutes=1))
    ticket = reload(ticket)
    assert ticket.status == Status.RESOLVED
    assert ticket.events.filter(kind="answer", data__answer="accepted_by_timeout").exists()


def test_only_the_customer_accepts():
    ticket = filed()
    propose(ticket, AgentFactory())
    with pytest.raises(NotAllowed):
        lifecycle.resolution_accept(ticket=ticket, actor=AgentFactory())


def test_compensation_above_the_limit_waits_for_a_second_person(settings):
    settings.REDRESS_APPROVAL_LIMIT = Decimal("100")
    set_price("USDT", "1")
    ticket, agent = filed(), AgentFactory()
    resolution = propose(
        ticket,
        agent,
        kind="compensation",
        summary="We refund 500 USDT.",
        amount="500",
        asset="USDT",
    )
    assert resolution.state == Resolution.State.PENDING_APPROVAL
    ticket = reload(ticket)
    assert ticket.status != Status.RESOLUTION_PROPOSED
    assert not ticket.messages.filter(
        body="We refund 500 USDT."
    ).exists()  # the customer sees nothing yet
    with pytest.raises(NotAllowed):
        lifecycle.resolution_approve(
            resolution_id=resolution.pk, approver=AgentFactory()
        )  # agents may not
    # An admin may propose at support (a correction), but not approve their own proposal.
    admin = UserFactory(role="admin", is_staff=True)
    admin_proposal = propose(
        ticket, admin, kind="compensation", summary="Refund 600 USDT", amount="600", asset="USDT"
    )
    with pytest.raises(NotAllowed, match="other than the proposer"):
        lifecycle.resolution_approve(resolution_id=admin_proposal.pk, approver=admin)
    lifecycle.resolution_approve(
        resolution_id=admin_proposal.pk, approver=UserFactory(role="appeal_officer", is_staff=True)
    )
    ticket = reload(ticket)
    assert ticket.status == Status.RESOLUTION_PROPOSED
    assert ticket.messages.filter(body="Refund 600 USDT", internal=False).exists()


def test_compensation_under_the_limit_goes_straight_to_the_customer(settings):
    settings.REDRESS_APPROVAL_LIMIT = Decimal("100")
    set_price("USDT", "1")
    ticket = filed()
    resolution = propose(
        ticket, AgentFactory(), kind="compensation", summary="Fee refund", amount="12", asset="USDT"
    )
    assert resolution.state == Resolution.State.PROPOSED
    assert reload(ticket).status == Status.RESOLUTION_PROPOSED


def test_disputing_a_proposal_appeals_to_the_next_tier_with_its_clock():
    ticket = filed()
    propose(ticket, AgentFactory())
    appeal = lifecycle.appeal_file(
        ticket=ticket, customer=ticket.customer, reason="The document was sharp."
    )
    ticket = reload(ticket)
    assert ticket.tier == Tier.APPEAL_CENTER and ticket.status == Status.OPEN
    assert ticket.sla_policy.tier == Tier.APPEAL_CENTER
    assert appeal.resolution.state == Resolution.State.DISPUTED
    assert ticket.messages.filter(body="The document was sharp.").exists()


def test_a_rejection_can_be_appealed_within_the_window_only(settings):
    settings.REDRESS_APPEAL_WINDOW_DAYS = 30
    ticket = filed()
    services.ticket_reject(ticket=ticket, actor=AgentFactory(), reason="Not about our service.")
    assert reload(ticket).lifecycle_due_at > timezone.now() + timedelta(days=29)
    late = filed()
    services.ticket_reject(ticket=late, actor=AgentFactory(), reason="Not about our service.")
    lifecycle.appeal_file(
        ticket=ticket, customer=ticket.customer, reason="It is about your service."
    )
    assert reload(ticket).tier == Tier.APPEAL_CENTER
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        sweep.sweep()
        assert reload(late).status == Status.CLOSED
        with pytest.raises(InvalidTransition):
            lifecycle.appeal_file(ticket=late, customer=late.customer, reason="Too late?")


def test_at_most_one_open_appeal_per_case_is_a_database_rule():
    ticket = filed()
    propose(ticket, AgentFactory())
    appeal = lifecycle.appeal_file(ticket=ticket, customer=ticket.customer, reason="No.")
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.create(
            ticket=ticket, from_tier=appeal.from_tier, to_tier=appeal.to_tier, reason="again"
        )


def test_a_secret_in_an_appeal_is_refused():
    ticket = filed()
    propose(ticket, AgentFactory())
    seed = "legal winner thank year wave sausage worth useful legal winner thank yellow"
    with pytest.raises(ValidationError):
        lifecycle.appeal_file(ticket=ticket, customer=ticket.customer, reason=seed)
    assert reload(ticket).tier == Tier.SUPPORT


def to_committee(ticket, agent, officer):
    propose(ticket, agent)
    lifecycle.appeal_file(ticket=ticket, customer=ticket.customer, reason="I disagree.")
    services.ticket_claim(ticket=ticket, actor=officer)
    propose(ticket, officer, summary="The appeal center confirms the refusal.")
    lifecycle.appeal_file(ticket=ticket, customer=ticket.customer, reason="Still wrong.")
    return reload(ticket)


def test_the_panel_is_independent_of_everyone_who_handled_the_case(
    django_capture_on_commit_callbacks,
):
    agent, officer = AgentFactory(), UserFactory(role="appeal_officer", is_staff=True)
    # An officer who is also on the committee handled the case: never on its panel.
    officer.groups.add(Group.objects.get(name="committee"))
    members = committee(4)
    ticket = filed()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = to_committee(ticket, agent, officer)
    assert ticket.tier == Tier.DISPUTE_COMMITTEE
    panel = Panel.objects.get(ticket=ticket)
    seated = set(panel.seats.values_list("member_id", flat=True))
    assert panel.state == Panel.State.SITTING and len(seated) == 3
    assert officer.pk not in seated and seated <= {m.pk for m in members}


def test_too_few_independent_members_waits_visibly_and_alerts_admins(
    django_capture_on_commit_callbacks,
):
    from django.core import mail

    UserFactory(role="admin", is_staff=True, email="boss@example.com")
    committee(2)
    ticket = filed()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = to_committee(
            ticket, AgentFactory(), UserFactory(role="appeal_officer", is_staff=True)
        )
    panel = Panel.objects.get(ticket=ticket)
    assert panel.state == Panel.State.WAITING
    assert any("boss@example.com" in m.to for m in mail.outbox)
    committee(1)
    sweep.sweep()
    assert Panel.objects.get(pk=panel.pk).state == Panel.State.SITTING


def seated_panel(decisions=None):
    committee(3)
    ticket = filed()
    ticket = to_committee(ticket, AgentFactory(), UserFactory(role="appeal_officer", is_staff=True))
    panel = lifecycle.panel_draw(ticket=ticket)
    return ticket, panel, [seat.member for seat in panel.seats.select_related("member")]


def test_one_vote_each_and_the_majority_decides_and_it_is_final():
    ticket, panel, (a, b, c) = seated_panel()
    with pytest.raises(NotAllowed):
        lifecycle.vote_cast(
            ticket=ticket, member=UserFactory(role="committee"), decision="uphold", rationale="x"
        )
    with pytest.raises(ValidationError) as refused:
        lifecycle.vote_cast(
            ticket=ticket, member=a, decision="overturn", rationale="Wrong", remedy=""
        )
    assert "remedy" in refused.value.message_dict
    lifecycle.vote_cast(
        ticket=ticket,
        member=a,
        decision="overturn",
        rationale="Sharp document",
        remedy="Approve KYC",
    )
    lifecycle.vote_cast(
        ticket=ticket,
        member=a,
        decision="overturn",
        rationale="Sharp document.",
        remedy="Approve KYC",
    )
    assert Vote.objects.filter(panel=panel, member=a).count() == 1
    lifecycle.vote_cast(ticket=ticket, member=b, decision="uphold", rationale="Blurred")
    assert reload(ticket).status == Status.OPEN
    lifecycle.vote_cast(
        ticket=ticket,
        member=c,
        decision="overturn",
        rationale="Agree with A",
        remedy="Approve KYC now",
    )
    panel.refresh_from_db()
    # The majority agrees: one of it writes the decision; nothing is published yet.
    assert panel.state == Panel.State.DRAFTING and panel.decision == "overturn"
    assert panel.drafter in (a, c) and reload(ticket).status == Status.OPEN
    with pytest.raises(InvalidTransition, match="majority"):
        lifecycle.vote_cast(ticket=ticket, member=b, decision="overturn", rationale="x", remedy="y")
    lifecycle.decision_publish(
        ticket=ticket,
        member=panel.drafter,
        rationale="The document was sharp enough to verify.",
        remedy="Approve the KYC.",
    )
    panel.refresh_from_db()
    ticket = reload(ticket)
    assert panel.state == Panel.State.DECIDED and panel.decision == "overturn"
    assert panel.rationale == "The document was sharp enough to verify."
    assert panel.remedy == "Approve the KYC."
    assert ticket.status == Status.CLOSED
    with pytest.raises(InvalidTransition, match="published"):
        lifecycle.vote_cast(
            ticket=ticket, member=b, decision="overturn", rationale="changed", remedy="x"
        )
    with pytest.raises(InvalidTransition):
        lifecycle.appeal_file(ticket=ticket, customer=ticket.customer, reason="Again")


def test_one_vote_each_is_a_database_rule():
    ticket, panel, (a, *_rest) = seated_panel()
    lifecycle.vote_cast(ticket=ticket, member=a, decision="uphold", rationale="ok")
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(panel=panel, member=a, decision="uphold", rationale="twice")


def test_a_three_way_split_has_no_decision_until_someone_revises():
    ticket, panel, (a, b, c) = seated_panel()
    lifecycle.vote_cast(ticket=ticket, member=a, decision="uphold", rationale="1")
    lifecycle.vote_cast(ticket=ticket, member=b, decision="modify", rationale="2", remedy="half")
    lifecycle.vote_cast(ticket=ticket, member=c, decision="overturn", rationale="3", remedy="all")
    panel.refresh_from_db()
    assert panel.state == Panel.State.SITTING
    lifecycle.vote_cast(ticket=ticket, member=c, decision="modify", rationale="3b", remedy="half")
    panel.refresh_from_db()
    assert panel.state == Panel.State.DRAFTING
    assert panel.decision == "modify" and panel.remedy == "half"


def test_the_trail_does_not_reveal_a_vote_before_the_decision():
    ticket, panel, (a, *_rest) = seated_panel()
    lifecycle.vote_cast(
        ticket=ticket, member=a, decision="overturn", rationale="r", remedy="refund"
    )
    event = ticket.events.get(kind="vote")
    assert event.data == {"panel": panel.pk}


def test_an_uphold_vote_carries_no_remedy():
    ticket, _panel, (a, *_rest) = seated_panel()
    vote = lifecycle.vote_cast(
        ticket=ticket, member=a, decision="uphold", rationale="r", remedy="left over"
    )
    assert vote.remedy == ""


def vote_all(ticket, votes):
    for member, decision, rationale, remedy in votes:
        lifecycle.vote_cast(
            ticket=ticket, member=member, decision=decision, rationale=rationale, remedy=remedy
        )


def test_the_chair_writes_the_decision_when_in_the_majority_else_the_first_majority_vote():
    ticket, panel, members = seated_panel()
    chair = panel.chair
    assert chair in members
    others = [m for m in members if m != chair]
    vote_all(
        ticket,
        [
            (others[0], "overturn", "First of the majority.", "Refund."),
            (chair, "overturn", "The chair's reading.", "Refund in full."),
            (others[1], "uphold", "No.", ""),
        ],
    )
    panel.refresh_from_db()
    assert panel.drafter == chair
    assert (panel.rationale, panel.remedy) == ("The chair's reading.", "Refund in full.")

    ticket, panel, members = seated_panel()
    others = [m for m in members if m != panel.chair]
    vote_all(
        ticket,
        [
            (panel.chair, "uphold", "The chair dissents.", ""),
            (others[1], "modify", "Half of it.", "Refund half."),
            (others[0], "modify", "Agreed, half.", "Refund 50%."),
        ],
    )
    panel.refresh_from_db()
    assert panel.drafter == others[1]  # the chair dissents: the first majority vote writes it
    assert (panel.rationale, panel.remedy) == ("Half of it.", "Refund half.")


def test_only_the_drafter_publishes_and_the_decision_has_one_text_and_one_remedy():
    ticket, panel, (a, b, c) = seated_panel()
    vote_all(
        ticket,
        [
            (a, "overturn", "Sharp photo.", "Approve the KYC."),
            (b, "overturn", "Agree.", "Approve and apologise."),
            (c, "uphold", "Blurred.", ""),
        ],
    )
    panel.refresh_from_db()
    drafter = panel.drafter
    for other in {a, b, c} - {drafter}:
        with pytest.raises(NotAllowed):
            lifecycle.decision_publish(ticket=ticket, member=other, rationale="Mine.", remedy="x")
    with pytest.raises(ValidationError) as refused:
        lifecycle.decision_publish(ticket=ticket, member=drafter, rationale=" ", remedy="")
    assert {"rationale", "remedy"} <= set(refused.value.message_dict)
    lifecycle.decision_publish(
        ticket=ticket, member=drafter, rationale="The photo is sharp.", remedy="Approve the KYC."
    )
    panel.refresh_from_db()
    assert panel.rationale == "The photo is sharp." and panel.remedy == "Approve the KYC."
    assert "Blurred." not in panel.rationale  # the dissent stays in the votes only
    assert Vote.objects.get(panel=panel, member=c).rationale == "Blurred."
    with pytest.raises(InvalidTransition):
        lifecycle.decision_publish(ticket=ticket, member=drafter, rationale="Again.", remedy="x")


def test_an_upheld_decision_publishes_no_remedy():
    ticket, panel, (a, b, c) = seated_panel()
    vote_all(
        ticket,
        [(a, "uphold", "Right.", ""), (b, "uphold", "Right too.", ""), (c, "modify", "No.", "x")],
    )
    panel.refresh_from_db()
    lifecycle.decision_publish(
        ticket=ticket, member=panel.drafter, rationale="The refusal stands.", remedy="Leftover"
    )
    panel.refresh_from_db()
    assert panel.decision == "uphold" and panel.remedy == ""


def test_each_event_of_an_approved_proposal_names_who_did_what(settings):
    settings.REDRESS_APPROVAL_LIMIT = Decimal("100")
    ticket, agent = filed(), AgentFactory()
    approver = UserFactory(role="appeal_officer", is_staff=True)
    resolution = propose(
        ticket, agent, kind="compensation", summary="Refund", amount="500", asset="USDT"
    )
    lifecycle.resolution_approve(resolution_id=resolution.pk, approver=approver)
    events = {e.kind: e for e in ticket.events.order_by("id")}
    assert events["approval"].actor == approver
    proposed = ticket.events.filter(kind="resolution", internal=False).get()
    assert proposed.actor == agent and proposed.data["approved_by"] == approver.email
    moved = ticket.events.get(kind="status", to_status=Status.RESOLUTION_PROPOSED)
    assert moved.actor == approver


def test_a_second_person_sends_a_proposal_back_to_its_author_with_a_reason(settings):
    settings.REDRESS_APPROVAL_LIMIT = Decimal("100")
    set_price("USDT", "1")  # 500 USDT waits for approval; 12 USDT goes straight out
    ticket, agent = filed(), AgentFactory()
    officer = UserFactory(role="appeal_officer", is_staff=True)
    resolution = propose(
        ticket, agent, kind="compensation", summary="Refund", amount="500", asset="USDT"
    )
    with pytest.raises(NotAllowed):
        lifecycle.resolution_send_back(
            resolution_id=resolution.pk, approver=AgentFactory(), reason="No"
        )
    with pytest.raises(ValidationError) as refused:
        lifecycle.resolution_send_back(resolution_id=resolution.pk, approver=officer, reason=" ")
    assert "reason" in refused.value.message_dict
    lifecycle.resolution_send_back(
        resolution_id=resolution.pk, approver=officer, reason="Refund the fee only: 12 USDT."
    )
    resolution.refresh_from_db()
    assert resolution.state == Resolution.State.SENT_BACK
    event = ticket.events.get(kind="sent_back")
    assert event.internal and event.actor == officer
    assert event.data["reason"] == "Refund the fee only: 12 USDT."
    assert reload(ticket).status != Status.RESOLUTION_PROPOSED
    with pytest.raises(InvalidTransition):
        lifecycle.resolution_approve(resolution_id=resolution.pk, approver=officer)
    # The author proposes again, changed; the one sent back stays in the record.
    again = propose(ticket, agent, kind="compensation", summary="Fee", amount="12", asset="USDT")
    assert again.state == Resolution.State.PROPOSED
