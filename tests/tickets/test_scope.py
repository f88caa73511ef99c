"""Who may read which case: the one scoping (tickets.selectors) and every door that reads.

Before issue 16 any staff member read any case, internal notes included, and a committee
member off the panel read a case under appeal.
"""

import io
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from desk.queue import queue_counts
from escalation import services as lifecycle
from escalation.models import Panel, PanelSeat
from tests.factories import (
    AgentFactory,
    CustomerFactory,
    UserFactory,
    category,
    login_verified,
    png_upload,
)
from tickets import selectors, services
from tickets.models import EventKind, Resolution, Status, Ticket, TicketEvent, Tier

pytestmark = pytest.mark.django_db


def filed(code="deposit-not-credited", customer=None, files=()) -> Ticket:
    customer = customer or CustomerFactory()
    fields = {}
    if code == "deposit-not-credited":
        fields = {
            "occurred_at": "2026-11-19 21:04",
            "asset": "ETH",
            "network": "ERC20",
            "amount": "0.85",
            "txid": "0x" + "5c" * 32,
        }
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category(code),
        subject="Not credited",
        description="The deposit never arrived.",
        fields=fields,
        files=files,
    )


def at(ticket: Ticket, tier: str) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(tier=tier, status=Status.OPEN)
    ticket.refresh_from_db()
    return ticket


def officer():
    return UserFactory(role="appeal_officer", is_staff=True)


def member():
    return UserFactory(role="committee", is_staff=True)


def admin():
    return UserFactory(role="admin", is_staff=True)


def visible(user) -> set[str]:
    return set(selectors.tickets_visible_to(user).values_list("reference", flat=True))


def seat(ticket: Ticket, person, state=Panel.State.SITTING) -> Panel:
    panel = Panel.objects.create(ticket=ticket, size=3, state=state)
    PanelSeat.objects.create(panel=panel, member=person)
    return panel


# The rule, role by role


def test_an_agent_reads_the_support_cases_of_their_teams_and_their_own():
    funding = AgentFactory(teams=["funding"])
    theirs, other_team = filed(), filed("kyc")
    assigned, taken_by_phone = filed("kyc"), filed("kyc")
    services.ticket_assign(ticket=assigned, actor=AgentFactory(), assignee=funding.email)
    Ticket.objects.filter(pk=taken_by_phone.pk).update(filed_by=funding)
    unrouted = filed("kyc")
    Ticket.objects.filter(pk=unrouted.pk).update(team=None)
    above = at(filed(), Tier.APPEAL_CENTER)
    assert visible(funding) == {
        theirs.reference,
        assigned.reference,
        taken_by_phone.reference,
        unrouted.reference,
    }
    assert other_team.reference not in visible(funding) and above.reference not in visible(funding)


def test_an_appeal_officer_reads_the_appeal_center_and_cases_waiting_for_their_approval():
    reader = officer()
    appeal, support, committee = at(filed(), Tier.APPEAL_CENTER), filed(), filed()
    at(committee, Tier.DISPUTE_COMMITTEE)
    waiting = filed()
    Resolution.objects.create(
        ticket=waiting,
        tier=Tier.SUPPORT,
        kind="compensation",
        summary="Refund",
        amount=5,
        asset=waiting.asset,
        state=Resolution.State.PENDING_APPROVAL,
        proposed_by=AgentFactory(),
    )
    assert visible(reader) == {appeal.reference, waiting.reference}
    assert support.reference not in visible(reader)


def test_a_committee_member_reads_only_the_cases_of_their_panels():
    on_panel, sat_on, off_panel = member(), member(), member()
    sitting = at(filed(), Tier.DISPUTE_COMMITTEE)
    seat(sitting, on_panel)
    decided = filed()
    seat(decided, sat_on, state=Panel.State.DECIDED)
    under_appeal = at(filed(), Tier.APPEAL_CENTER)
    assert visible(on_panel) == {sitting.reference}
    assert visible(sat_on) == {decided.reference}
    # The hole: a member off the panel read the case under appeal, and every other.
    assert visible(off_panel) == set()
    client = APIClient()
    client.force_authenticate(off_panel)
    assert client.get(f"/api/v1/tickets/{under_appeal.reference}/").status_code == 404
    assert client.get(f"/api/v1/tickets/{sitting.reference}/").status_code == 404
    assert client.get("/api/v1/tickets/").json()["results"] == []


def test_an_admin_reads_nothing_outside_scope_until_opening_it_anyway(client):
    supervisor, ticket = admin(), filed("kyc")
    assert visible(supervisor) == set()
    login_verified(client, supervisor)
    offer = client.get(reverse("staff:ticket", args=[ticket.reference]))
    page = offer.content.decode()
    assert offer.status_code == 200 and 'id="open-anyway-form"' in page
    assert ticket.subject not in page and ticket.description not in page  # nothing read yet
    refused = client.post(reverse("staff:open_anyway", args=[ticket.reference]), {"reason": ""})
    assert refused.status_code == 400 and not ticket.events.filter(kind=EventKind.ACCESS)
    opened = client.post(
        reverse("staff:open_anyway", args=[ticket.reference]),
        {"reason": "The customer complained to the regulator."},
    )
    assert opened["Location"] == reverse("staff:ticket", args=[ticket.reference])
    event = ticket.events.get(kind=EventKind.ACCESS)
    assert event.actor == supervisor and event.internal
    assert event.data["reason"] == "The customer complained to the regulator."
    page = client.get(reverse("staff:ticket", args=[ticket.reference])).content.decode()
    assert ticket.description in page and "Opened outside scope" in page  # in the trail
    with time_machine.travel(
        timezone.now() + timedelta(hours=selectors.OPEN_ANYWAY_HOURS, minutes=1)
    ):
        assert visible(supervisor) == set()


def test_the_open_anyway_is_for_admins_only_and_hidden_from_the_customer(client):
    ticket = filed("kyc")
    login_verified(client, AgentFactory(teams=["funding"]))
    assert client.get(reverse("staff:ticket", args=[ticket.reference])).status_code == 404
    path = reverse("staff:open_anyway", args=[ticket.reference])
    assert client.post(path, {"reason": "Curious."}).status_code == 404
    api = APIClient()
    api.force_authenticate(AgentFactory(teams=["funding"]))
    refused = api.post(f"/api/v1/tickets/{ticket.reference}/open-anyway/", {"reason": "x"})
    assert refused.status_code == 404
    assert not ticket.events.filter(kind=EventKind.ACCESS).exists()
    supervisor = admin()
    api.force_authenticate(supervisor)
    assert api.get(f"/api/v1/tickets/{ticket.reference}/").status_code == 404
    opened = api.post(f"/api/v1/tickets/{ticket.reference}/open-anyway/", {"reason": "Audit."})
    assert opened.status_code == 200 and opened.json()["reference"] == ticket.reference
    assert api.get(f"/api/v1/tickets/{ticket.reference}/").status_code == 200
    customer_events = selectors.ticket_events_for(ticket.customer, ticket)
    assert not customer_events.filter(kind=EventKind.ACCESS).exists()


# Every door that reads a case goes through the one scoping


@pytest.fixture
def outside():
    """A KYC case with a file, and an agent of the funding team (not theirs to read)."""
    ticket = filed("kyc", files=[png_upload("passport.png")])
    return ticket, AgentFactory(teams=["funding"])


def test_the_queue_lists_and_counts_only_what_the_reader_may_read(client, outside):
    ticket, agent = outside
    theirs = filed()
    login_verified(client, agent)
    page = client.get(reverse("staff:queue") + "?view=all").content.decode()
    assert theirs.reference in page and ticket.reference not in page
    page = client.get(reverse("staff:queue") + "?view=support").content.decode()
    assert ticket.reference not in page
    assert queue_counts(agent)["support"] == 1


def test_the_api_lists_and_shows_only_what_the_reader_may_read(outside):
    ticket, agent = outside
    client = APIClient()
    client.force_authenticate(agent)
    assert client.get(f"/api/v1/tickets/{ticket.reference}/").status_code == 404
    listed = client.get("/api/v1/tickets/", {"q": ticket.reference}).json()["results"]
    assert listed == []
    assert client.get(f"/api/v1/tickets/{ticket.reference}/case-file/").status_code == 404


def test_evidence_downloads_and_previews_follow_the_case(client, outside):
    ticket, agent = outside
    attachment = ticket.attachments.get()
    api = APIClient()
    api.force_authenticate(agent)
    assert api.get(f"/api/v1/attachments/{attachment.id}/download/").status_code == 404
    login_verified(client, agent)
    assert client.get(reverse("attachment_download", args=[attachment.id])).status_code == 404
    preview = reverse("staff:attachment_preview", args=[attachment.id])
    assert client.get(preview).status_code == 404
    login_verified(client, AgentFactory(teams=["verification"]))
    assert client.get(preview).status_code == 200


def test_the_workbench_its_neighbours_and_presence_follow_the_scope(client, outside):
    ticket, agent = outside
    customer = ticket.customer
    theirs = filed(customer=customer)
    login_verified(client, agent)
    assert client.get(reverse("staff:ticket", args=[ticket.reference])).status_code == 404
    # The heartbeat of a page left open stops (htmx's 286), telling nothing about the case.
    assert client.get(reverse("staff:presence", args=[ticket.reference])).status_code == 286
    assert client.get(reverse("staff:presence", args=["RD-NONE-XIST"])).status_code == 286
    page = client.get(reverse("staff:ticket", args=[theirs.reference])).content.decode()
    # The customer's other cases list only those the reader may read.
    assert ticket.reference not in page and ticket.subject not in page.split("other-cases")[1]


def test_bulk_actions_and_merges_cannot_reach_a_case_outside_the_scope(client, outside):
    ticket, agent = outside
    theirs = filed(customer=ticket.customer)
    login_verified(client, agent)
    response = client.post(
        reverse("staff:bulk"),
        {"action": "priority", "tickets": [ticket.reference], "priority": "urgent", "reason": "x"},
        follow=True,
    )
    assert "There is no such case." in response.content.decode()
    client.post(reverse("staff:merge", args=[theirs.reference]), {"merge-into": ticket.reference})
    theirs.refresh_from_db()
    ticket.refresh_from_db()
    assert theirs.status != Status.CLOSED and ticket.priority != "urgent"


def test_the_admin_site_lists_only_cases_in_scope(client, outside):
    ticket, _agent = outside
    superuser = UserFactory(role="admin", is_staff=True, is_superuser=True)
    login_verified(client, superuser)
    changelist = client.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    assert ticket.reference not in changelist
    services.ticket_open_anyway(ticket=ticket, actor=superuser, reason="Checking.")
    changelist = client.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    assert ticket.reference in changelist


def test_a_member_reads_the_case_of_their_panel_through_every_door(client):
    seated = member()
    ticket = at(filed(files=[png_upload()]), Tier.DISPUTE_COMMITTEE)
    seat(ticket, seated)
    api = APIClient()
    api.force_authenticate(seated)
    assert api.get(f"/api/v1/tickets/{ticket.reference}/").status_code == 200
    archive = api.get(f"/api/v1/tickets/{ticket.reference}/case-file/")
    assert archive.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))).namelist()
    assert any(name.startswith("evidence/") for name in names)
    login_verified(client, seated)
    assert client.get(reverse("staff:committee_case", args=[ticket.reference])).status_code == 200
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ACCESS).exists()


def test_an_agent_who_escalates_hands_the_case_over_and_no_longer_reads_it(client):
    agent = AgentFactory(teams=["funding"])
    ticket = filed()
    lifecycle.ticket_escalate(ticket=ticket, actor=agent, reason="Large loss.")
    assert ticket.reference not in visible(agent)
