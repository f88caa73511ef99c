"""The approval inbox and the committee's pages, through Django's test client."""

from decimal import Decimal

import pytest
from django.urls import reverse

from escalation import services as lifecycle
from escalation.models import Panel, Vote
from tests.factories import (
    AgentFactory,
    CustomerFactory,
    UserFactory,
    category,
    login_verified,
    png_upload,
)
from tickets import services
from tickets.models import Resolution, Status, Ticket, Tier

pytestmark = pytest.mark.django_db


def filed(files=()) -> Ticket:
    customer = CustomerFactory(full_name="Lin Wei")
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("kyc"),
        subject="KYC refused",
        description="My verification was refused without a reason.",
        fields={},
        files=files,
    )


def officer(**kwargs):
    return UserFactory(role="appeal_officer", is_staff=True, **kwargs)


def committee_member(**kwargs):
    return UserFactory(role="committee", is_staff=True, **kwargs)


def to_committee(ticket: Ticket) -> Ticket:
    """Support proposes, the customer disputes, the appeal center proposes, they dispute again."""
    agent, appeal_officer = AgentFactory(), officer()
    services.ticket_add_message(
        ticket=ticket, author=agent, body="Checked the selfie: it is blurred.", internal=True
    )
    services.ticket_propose_resolution(
        ticket=ticket, actor=agent, kind="explanation", summary="Your selfie was blurred."
    )
    lifecycle.appeal_file(
        ticket=ticket, customer=ticket.customer, reason="The selfie was sharp, look again."
    )
    services.ticket_claim(ticket=ticket, actor=appeal_officer)
    services.ticket_propose_resolution(
        ticket=ticket, actor=appeal_officer, kind="explanation", summary="We confirm the refusal."
    )
    lifecycle.appeal_file(
        ticket=ticket, customer=ticket.customer, reason="Nobody looked at my documents."
    )
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def panel_case():
    """A case at the committee with a sitting panel of three fresh members."""
    for _ in range(3):
        committee_member()
    ticket = to_committee(filed(files=[png_upload("selfie.png")]))
    panel = lifecycle.panel_draw(ticket=ticket)
    members = [seat.member for seat in panel.seats.select_related("member").order_by("member_id")]
    return ticket, panel, members


def case_url(ticket) -> str:
    return reverse("staff:committee_case", args=[ticket.reference])


def vote_url(ticket) -> str:
    return reverse("staff:committee_vote", args=[ticket.reference])


def html(response) -> str:
    return response.content.decode()


# Who may see what


def test_customers_agents_and_members_off_the_panel_get_404(client, panel_case):
    ticket, _panel, _members = panel_case
    client.force_login(ticket.customer)
    assert client.get(case_url(ticket)).status_code == 404
    assert client.get(reverse("staff:committee")).status_code == 404
    for outsider in (AgentFactory(), officer(), committee_member()):
        login_verified(client, outsider)
        assert client.get(case_url(ticket)).status_code == 404
        response = client.post(vote_url(ticket), {"decision": "uphold", "rationale": "Mine."})
        assert response.status_code == 404
    assert not Vote.objects.exists()


def test_the_panel_inbox_is_for_committee_members_only(client, panel_case):
    ticket, _panel, (member, *_rest) = panel_case
    login_verified(client, AgentFactory())
    assert client.get(reverse("staff:committee")).status_code == 404
    login_verified(client, committee_member())
    page = html(client.get(reverse("staff:committee")))
    assert ticket.reference not in page and "No case is waiting for your vote." in page
    login_verified(client, member)
    page = html(client.get(reverse("staff:committee")))
    assert ticket.reference in page and "Not voted yet" in page
    lifecycle.vote_cast(ticket=ticket, member=member, decision="uphold", rationale="Fine.")
    assert "Voted" in html(client.get(reverse("staff:committee")))


def test_a_member_must_finish_two_factor_sign_in(client, panel_case):
    ticket, _panel, (member, *_rest) = panel_case
    client.force_login(member)
    response = client.get(case_url(ticket))
    assert response.status_code == 302 and reverse("accounts:otp") in response["Location"]


def test_the_vote_page_shows_the_whole_case_file(client, panel_case):
    ticket, _panel, (member, *_rest) = panel_case
    login_verified(client, member)
    response = client.get(case_url(ticket))
    assert response.status_code == 200
    page = html(response)
    attachment = ticket.attachments.get()
    for text in (
        "My verification was refused without a reason.",  # the complaint
        "Checked the selfie: it is blurred.",  # an internal note: staff may read it
        "Your selfie was blurred.",
        "We confirm the refusal.",
        "The selfie was sharp, look again.",  # dispute reasons and appeals
        "Nobody looked at my documents.",
        attachment.sha256,
        reverse("staff:attachment_preview", args=[attachment.id]),
        "Audit trail",
        'id="vote-form"',
    ):
        assert text in page, text
    assert "Cast my vote" in page and "0 votes cast" in page


# Voting


def test_a_refused_vote_keeps_what_was_typed(client, panel_case):
    ticket, _panel, (member, *_rest) = panel_case
    login_verified(client, member)
    response = client.post(
        vote_url(ticket),
        {"decision": "overturn", "rationale": "The selfie is sharp.", "remedy": ""},
    )
    assert response.status_code == 400
    page = html(response)
    assert "Say what the remedy is." in page
    assert "The selfie is sharp.</textarea>" in page
    assert 'value="overturn" checked' in page
    response = client.post(vote_url(ticket), {"decision": "", "rationale": ""})
    page = html(response)
    assert "Choose uphold, modify or overturn." in page
    assert "Write the reasons for your vote." in page
    assert not Vote.objects.exists()


def test_a_member_revises_their_vote(client, panel_case):
    ticket, panel, (member, *_rest) = panel_case
    login_verified(client, member)
    response = client.post(vote_url(ticket), {"decision": "uphold", "rationale": "Blurred."})
    assert response.status_code == 302 and response["Location"] == case_url(ticket)
    page = html(client.get(case_url(ticket)))
    assert "Your current vote: <strong>Uphold</strong>" in page and "Revise my vote" in page
    assert "Blurred.</textarea>" in page
    client.post(
        vote_url(ticket),
        {"decision": "modify", "rationale": "Partly sharp.", "remedy": "Review again."},
    )
    vote = Vote.objects.get(panel=panel, member=member)
    assert (vote.decision, vote.rationale, vote.remedy) == (
        "modify",
        "Partly sharp.",
        "Review again.",
    )
    assert "Your current vote: <strong>Modify</strong>" in html(client.get(case_url(ticket)))


def test_after_publication_the_form_is_gone_and_the_decision_shows(client, panel_case):
    ticket, panel, (first, second, third) = panel_case
    lifecycle.vote_cast(
        ticket=ticket, member=first, decision="overturn", rationale="Sharp.", remedy="Verify."
    )
    lifecycle.vote_cast(ticket=ticket, member=second, decision="uphold", rationale="Blurred.")
    login_verified(client, third)
    response = client.post(
        vote_url(ticket),
        {"decision": "overturn", "rationale": "Sharp enough.", "remedy": "Approve the KYC."},
    )
    assert response.status_code == 302
    panel.refresh_from_db()
    assert panel.state == Panel.State.DRAFTING
    drafter = panel.drafter
    login_verified(client, drafter)
    page = html(client.get(case_url(ticket)))
    assert 'id="decision-form"' in page and 'id="vote-form"' not in page
    response = client.post(
        reverse("staff:committee_publish", args=[ticket.reference]),
        {"rationale": "The selfie is sharp enough.", "remedy": "Approve the KYC."},
    )
    assert response.status_code == 302
    panel.refresh_from_db()
    assert panel.state == Panel.State.DECIDED
    page = html(client.get(response["Location"]))
    assert 'id="vote-form"' not in page and 'id="decision"' in page
    assert "The selfie is sharp enough." in page and "Approve the KYC." in page
    assert "You voted: Overturn." in page
    assert "The decision is published to the customer." in page
    refused = client.post(vote_url(ticket), {"decision": "uphold", "rationale": "Changed."})
    assert refused.status_code == 409
    assert Vote.objects.get(panel=panel, member=third).decision == "overturn"


def test_the_dissenting_member_is_not_told_their_vote_decided(client, panel_case):
    ticket, _panel, (first, second, third) = panel_case
    lifecycle.vote_cast(ticket=ticket, member=first, decision="overturn", rationale="A", remedy="R")
    lifecycle.vote_cast(
        ticket=ticket, member=second, decision="overturn", rationale="B", remedy="R"
    )
    login_verified(client, third)
    response = client.post(vote_url(ticket), {"decision": "uphold", "rationale": "Blurred."})
    page = html(client.get(response["Location"]))
    assert "decided the case" not in page and "majority agrees" not in page
    assert "The majority decided otherwise" in page and "dissent" in page
    assert 'id="decision-form"' not in page


def test_only_the_drafter_may_publish(client, panel_case):
    ticket, panel, members = panel_case
    for member in members:
        lifecycle.vote_cast(ticket=ticket, member=member, decision="uphold", rationale="Right.")
    panel.refresh_from_db()
    other = next(m for m in members if m != panel.drafter)
    login_verified(client, other)
    assert 'id="decision-form"' not in html(client.get(case_url(ticket)))
    refused = client.post(
        reverse("staff:committee_publish", args=[ticket.reference]), {"rationale": "Mine."}
    )
    assert refused.status_code == 403
    panel.refresh_from_db()
    assert panel.state == Panel.State.DRAFTING


def test_a_split_vote_asks_members_to_revise(client, panel_case):
    ticket, _panel, (first, second, third) = panel_case
    lifecycle.vote_cast(ticket=ticket, member=first, decision="uphold", rationale="1")
    lifecycle.vote_cast(ticket=ticket, member=second, decision="modify", rationale="2", remedy="x")
    lifecycle.vote_cast(ticket=ticket, member=third, decision="overturn", rationale="3", remedy="y")
    login_verified(client, first)
    page = html(client.get(case_url(ticket)))
    assert 'id="no-majority"' in page and 'id="vote-form"' in page


def test_a_member_does_not_see_how_the_others_voted_before_the_decision(client, panel_case):
    ticket, _panel, (first, second, _third) = panel_case
    lifecycle.vote_cast(
        ticket=ticket, member=second, decision="overturn", rationale="S", remedy="R"
    )
    login_verified(client, first)
    page = html(client.get(case_url(ticket)))
    assert "Vote cast" not in page and "Overturn" not in page.split('id="vote-form"')[0]
    lifecycle.vote_cast(ticket=ticket, member=first, decision="uphold", rationale="Mine.")
    page = html(client.get(case_url(ticket)))
    assert page.count("Vote cast") == 1 and "Decision: uphold" not in page


# The approval inbox (four eyes)


@pytest.fixture
def pending(settings):
    settings.REDRESS_APPROVAL_LIMIT = Decimal("100")
    ticket, proposer = filed(), officer(full_name="Olga Officer")
    # Officers work the appeal center (tickets.authority): the case is there first.
    lifecycle.ticket_escalate(ticket=ticket, actor=AgentFactory(), reason="Large loss.")
    resolution = services.ticket_propose_resolution(
        ticket=ticket,
        actor=proposer,
        kind="compensation",
        summary="We refund 500 USDT for the delay.",
        amount="500",
        asset="USDT",
    )
    assert resolution.state == Resolution.State.PENDING_APPROVAL
    return resolution, proposer


def test_the_approval_inbox_is_for_appeal_officers_and_admins(client, pending):
    resolution, _proposer = pending
    approve_url = reverse("staff:approve", args=[resolution.pk])
    client.force_login(resolution.ticket.customer)
    assert client.get(reverse("staff:approvals")).status_code == 404
    for outsider in (AgentFactory(), committee_member()):
        login_verified(client, outsider)
        assert client.get(reverse("staff:approvals")).status_code == 404
        assert client.post(approve_url).status_code == 404
    login_verified(client, UserFactory(role="admin", is_staff=True))
    page = html(client.get(reverse("staff:approvals")))
    assert resolution.ticket.reference in page and "We refund 500 USDT for the delay." in page
    assert "500 USDT" in page and "Olga Officer" in page


def test_a_second_person_approves_and_the_customer_sees_it(client, pending):
    resolution, _proposer = pending
    login_verified(client, officer())
    response = client.post(reverse("staff:approve", args=[resolution.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("staff:approvals")
    assert "now sees the proposal" in html(response)
    assert "Nothing is waiting for approval." in html(response)
    resolution.refresh_from_db()
    assert resolution.state == Resolution.State.PROPOSED
    resolution.ticket.refresh_from_db()
    assert resolution.ticket.status == Status.RESOLUTION_PROPOSED


def test_the_proposer_cannot_approve_their_own_proposal(client, pending):
    resolution, proposer = pending
    login_verified(client, proposer)
    page = html(client.get(reverse("staff:approvals")))
    assert "someone else must approve it" in page
    assert f'id="approve-{resolution.pk}"' not in page and "disabled" in page
    refused = client.post(reverse("staff:approve", args=[resolution.pk]))
    assert refused.status_code == 403
    assert "Someone other than the proposer must approve it." in html(refused)
    resolution.refresh_from_db()
    assert resolution.state == Resolution.State.PENDING_APPROVAL


def test_approving_twice_or_an_unknown_proposal_is_refused(client, pending):
    resolution, _proposer = pending
    login_verified(client, officer())
    client.post(reverse("staff:approve", args=[resolution.pk]))
    assert client.post(reverse("staff:approve", args=[resolution.pk])).status_code == 409
    assert client.post(reverse("staff:approve", args=[resolution.pk + 1000])).status_code == 404


def test_sending_back_needs_a_reason_and_returns_the_proposal_to_its_author(client, pending):
    resolution, proposer = pending
    ticket = resolution.ticket
    login_verified(client, officer())
    url = reverse("staff:send_back", args=[resolution.pk])
    refused = client.post(url, {f"back-{resolution.pk}-reason": ""})
    assert refused.status_code == 400 and "Say what the author should change." in html(refused)
    response = client.post(
        url, {f"back-{resolution.pk}-reason": "Refund the fee only: 12 USDT."}, follow=True
    )
    assert "Sent back to Olga Officer" in html(response)
    resolution.refresh_from_db()
    assert resolution.state == Resolution.State.SENT_BACK

    login_verified(client, proposer)
    page = html(client.get(reverse("staff:ticket", args=[ticket.reference])))
    assert 'id="sent-back"' in page and "Refund the fee only: 12 USDT." in page
    assert 'name="propose-amount" value="500"' in page  # filled in to change, not retype
    client.force_login(ticket.customer)
    customer_page = html(client.get(reverse("tickets:detail", args=[ticket.reference])))
    assert "Refund the fee only" not in customer_page and "500 USDT" not in customer_page


def test_the_approvals_link_counts_what_waits_and_the_form_states_the_limit(client, pending):
    login_verified(client, officer())
    page = html(client.get(reverse("staff:queue")))
    assert 'id="approvals-count">1<' in page
    other = filed()
    lifecycle.ticket_escalate(ticket=other, actor=AgentFactory(), reason="Large loss.")
    page = html(client.get(reverse("staff:ticket", args=[other.reference])))
    assert "Worth more than 100 USD at the asset&#x27;s reference price, a second" in page


# The workbench: banners and the appeal center's escalate label


def test_the_workbench_says_a_proposal_waits_for_a_second_person(client, pending):
    resolution, _proposer = pending
    login_verified(client, officer())
    page = html(client.get(reverse("staff:ticket", args=[resolution.ticket.reference])))
    assert "Waiting for approval by a second person" in page and "500 USDT" in page


def test_the_workbench_shows_a_case_waiting_for_an_independent_panel(client):
    committee_member()  # one independent member: a panel of three cannot sit
    ticket = to_committee(filed())
    panel = lifecycle.panel_draw(ticket=ticket)
    assert panel.state == Panel.State.WAITING
    admin = UserFactory(role="admin", is_staff=True)
    # Admins read a case outside their scope only by opening it anyway (tickets.selectors).
    services.ticket_open_anyway(ticket=ticket, actor=admin, reason="Alerted: no panel.")
    login_verified(client, admin)
    page = html(client.get(reverse("staff:ticket", args=[ticket.reference])))
    assert 'id="panel-waiting"' in page and "Waiting for an independent panel" in page


def test_the_workbench_shows_a_sitting_panel_and_its_progress(client, panel_case):
    ticket, _panel, (member, *_rest) = panel_case
    lifecycle.vote_cast(ticket=ticket, member=member, decision="uphold", rationale="Fine.")
    admin = UserFactory(role="admin", is_staff=True)
    services.ticket_open_anyway(ticket=ticket, actor=admin, reason="Checking the panel.")
    login_verified(client, admin)
    page = html(client.get(reverse("staff:ticket", args=[ticket.reference])))
    assert "A panel of 3 is deciding this case: 1 vote cast." in page
    assert 'id="panel-waiting"' not in page


def test_at_the_appeal_center_escalating_refers_to_the_dispute_committee(client):
    ticket = filed()
    login_verified(client, officer())
    page = html(client.get(reverse("staff:ticket", args=[ticket.reference])))
    assert "Refer to the Dispute Committee" not in page
    lifecycle.ticket_escalate(ticket=ticket, actor=AgentFactory(), reason="Large loss.")
    ticket.refresh_from_db()
    assert ticket.tier == Tier.APPEAL_CENTER
    page = html(client.get(reverse("staff:ticket", args=[ticket.reference])))
    assert page.count("Refer to the Dispute Committee") == 2  # the action and its button


def test_the_queue_links_each_role_to_its_inbox(client):
    login_verified(client, AgentFactory())
    page = html(client.get(reverse("staff:queue")))
    assert 'id="nav-approvals"' not in page and 'id="nav-committee"' not in page
    login_verified(client, officer())
    page = html(client.get(reverse("staff:queue")))
    assert 'id="nav-approvals"' in page and 'id="nav-committee"' not in page
    login_verified(client, committee_member())
    page = html(client.get(reverse("staff:queue")))
    assert 'id="nav-committee"' in page and 'id="nav-approvals"' not in page
