"""What customers see of staff and of the panel, compared output by output with staff's.

Before issue 16 the customer's API showed `"assignee": "agent@example.com"`, every `by` of
the customer's case file timeline was a staff email, a file sent with an internal note
appeared (name and SHA-256) in the customer's own case file, and a member downloading the
case file of a sitting panel read the others' votes, rationales and emails.
"""

import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from escalation import services as lifecycle
from escalation.models import Panel
from tests.factories import (
    AgentFactory,
    CustomerFactory,
    UserFactory,
    category,
    login_verified,
    png_upload,
)
from tickets import services

pytestmark = pytest.mark.django_db


def _red_png(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def story(settings):
    """A case that went through support to the appeal center, with everything internal
    that can happen to one: notes with files, staff reasons, a proposal awaiting approval."""
    settings.REDRESS_APPROVAL_LIMIT = Decimal("1")
    customer = CustomerFactory(full_name="Lin Wei")
    agent = AgentFactory(full_name="Alex Agent", email="alex.agent@desk.example")
    nameless = AgentFactory(full_name="", email="nameless.agent@desk.example")
    officer = UserFactory(
        role="appeal_officer", is_staff=True, full_name="", email="olga.officer@desk.example"
    )
    ticket = services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("other"),
        subject="Referral bonus",
        description="The bonus never came.",
        fields={},
        files=[png_upload("my-screenshot.png")],
    )
    services.ticket_claim(ticket=ticket, actor=agent)
    services.ticket_add_message(ticket=ticket, author=agent, body="We are checking.")
    services.ticket_add_message(ticket=ticket, author=nameless, body="Checked the ledger.")
    services.ticket_add_message(
        ticket=ticket,
        author=agent,
        body="Looks like fraud ring 7.",
        internal=True,
        files=[_red_png("internal-evidence.png")],
    )
    services.ticket_change_priority(
        ticket=ticket, actor=agent, priority="high", reason="VIP whale secret"
    )
    lifecycle.ticket_escalate(ticket=ticket, actor=agent, reason="escalation secret note")
    services.ticket_claim(ticket=ticket, actor=officer)
    services.ticket_propose_resolution(
        ticket=ticket,
        actor=officer,
        kind="compensation",
        summary="Pending secret summary",
        amount="5",
        asset="USDT",
    )
    internal_file = ticket.attachments.get(original_name="internal-evidence.png")
    secrets = [
        agent.email,
        nameless.email,
        officer.email,
        "fraud ring 7",
        "internal-evidence",
        internal_file.sha256,
        internal_file.received_sha256,
        "VIP whale secret",
        "escalation secret note",
        "Pending secret summary",
    ]
    return ticket, officer, secrets


def _zip_texts(response) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return {name: archive.read(name).decode("utf-8", "replace") for name in archive.namelist()}


def customer_outputs(ticket) -> dict[str, str]:
    """Every output the customer gets about their case, by name."""
    web = Client()
    web.force_login(ticket.customer)
    api = APIClient()
    api.force_authenticate(ticket.customer)
    outputs = {
        "page": web.get(reverse("tickets:detail", args=[ticket.reference])).content.decode(),
        "my tickets": web.get(reverse("tickets:my_tickets")).content.decode(),
        "api list": json.dumps(api.get("/api/v1/tickets/").json()),
        "api detail": json.dumps(api.get(f"/api/v1/tickets/{ticket.reference}/").json()),
    }
    case_file = web.get(reverse("escalation:case_file", args=[ticket.reference]))
    for name, text in _zip_texts(case_file).items():
        outputs[f"case file {name}"] = text
    return outputs


def staff_outputs(ticket, reader) -> dict[str, str]:
    web = Client()
    login_verified(web, reader)
    api = APIClient()
    api.force_authenticate(reader)
    outputs = {
        "workbench": web.get(reverse("staff:ticket", args=[ticket.reference])).content.decode(),
        "api detail": json.dumps(api.get(f"/api/v1/tickets/{ticket.reference}/").json()),
    }
    case_file = api.get(f"/api/v1/tickets/{ticket.reference}/case-file/")
    for name, text in _zip_texts(case_file).items():
        outputs[f"case file {name}"] = text
    return outputs


def test_no_customer_facing_output_carries_what_only_staff_may_see(story):
    ticket, officer, secrets = story
    customer = customer_outputs(ticket)
    staff = "\n".join(staff_outputs(ticket, officer).values())
    for secret in secrets:
        # Each one is real: staff outputs carry it, so its absence below means something.
        assert secret in staff, secret
        for name, text in customer.items():
            assert secret not in text, f"{secret!r} in the customer's {name}"
    assert not any("@desk.example" in text for text in customer.values())


def test_customers_see_staff_by_the_name_they_work_under(story):
    ticket, _officer, _secrets = story
    outputs = customer_outputs(ticket)
    assert "Alex Agent, support" in outputs["page"]
    assert "Support team, support" in outputs["page"]  # the agent with no name
    detail = json.loads(outputs["api detail"])
    assert detail["assignee"] == "Support team"  # the officer has no name either
    assert {m["author"] for m in detail["messages"] if m["from_staff"]} == {
        "Alex Agent",
        "Support team",
    }
    timeline = json.loads(outputs["case file timeline.json"])
    assert {e["by"] for e in timeline} <= {"Lin Wei", "Alex Agent", "Support team", "system"}
    assert "Alex Agent" in outputs["case file conversation.html"]
    assert "Alex Agent" in outputs["case file timeline.html"]


def test_staff_still_see_emails_where_they_work_with_them(story):
    ticket, officer, _secrets = story
    api = APIClient()
    api.force_authenticate(officer)
    assert api.get(f"/api/v1/tickets/{ticket.reference}/").json()["assignee"] == officer.email


def test_the_customer_cannot_probe_staff_emails_with_the_assignee_filter(story):
    ticket, officer, _secrets = story
    api = APIClient()
    api.force_authenticate(ticket.customer)
    everything = api.get("/api/v1/tickets/").json()["results"]
    probed = api.get("/api/v1/tickets/", {"assignee": officer.email}).json()["results"]
    wrong = api.get("/api/v1/tickets/", {"assignee": "nobody@desk.example"}).json()["results"]
    assert probed == everything == wrong


# Votes are secret until the decision is published: in the case file as on the vote page


@pytest.fixture
def sitting():
    members = [
        UserFactory(
            role="committee", is_staff=True, full_name=f"Member {n}", email=f"m{n}@c.example"
        )
        for n in (1, 2, 3)
    ]
    customer = CustomerFactory()
    ticket = services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("other"),
        subject="Dispute",
        description="Please decide.",
        fields={},
    )
    lifecycle.ticket_escalate(ticket=ticket, actor=AgentFactory(), reason="Up.")
    lifecycle.ticket_escalate(
        ticket=ticket, actor=UserFactory(role="appeal_officer", is_staff=True), reason="Up."
    )
    panel = lifecycle.panel_draw(ticket=ticket)
    seated = sorted((s.member for s in panel.seats.select_related("member")), key=lambda m: m.pk)
    assert {m.pk for m in seated} == {m.pk for m in members}
    return ticket, seated


def member_case_file(ticket, member) -> str:
    api = APIClient()
    api.force_authenticate(member)
    return "\n".join(_zip_texts(api.get(f"/api/v1/tickets/{ticket.reference}/case-file/")).values())


def test_a_member_case_file_shows_no_other_vote_before_the_decision(sitting):
    ticket, (first, second, third) = sitting
    lifecycle.vote_cast(
        ticket=ticket, member=first, decision="overturn", rationale="First's reasons", remedy="R"
    )
    lifecycle.vote_cast(ticket=ticket, member=second, decision="uphold", rationale="Second's view")
    seen_by_second = member_case_file(ticket, second)
    assert "Second's view" in seen_by_second  # their own vote
    assert "First's reasons" not in seen_by_second and "overturn" not in seen_by_second
    seen_by_third = member_case_file(ticket, third)
    for secret in ("First's reasons", "Second's view", first.email, second.email, third.email):
        assert secret not in seen_by_third
    files = _zip_texts(_as(third).get(f"/api/v1/tickets/{ticket.reference}/case-file/"))
    timeline = json.loads(files["timeline.json"])
    assert [e for e in timeline if e["kind"] == "vote"] == []
    # A split panel says so, never how it split.
    lifecycle.vote_cast(ticket=ticket, member=third, decision="modify", rationale="T", remedy="M")
    after_split = member_case_file(ticket, third)
    assert "tally" not in after_split and "First's reasons" not in after_split


def test_the_decision_publishes_the_votes_without_emails(sitting):
    ticket, (first, second, third) = sitting
    lifecycle.vote_cast(ticket=ticket, member=first, decision="uphold", rationale="First's")
    lifecycle.vote_cast(ticket=ticket, member=second, decision="uphold", rationale="Second's")
    assert "First's" not in member_case_file(ticket, third)
    lifecycle.vote_cast(ticket=ticket, member=third, decision="modify", rationale="T", remedy="M")
    # The majority is in; the decision is secret until its drafter publishes it.
    assert "First's" not in member_case_file(ticket, third)
    drafter = Panel.objects.get(ticket=ticket).drafter
    lifecycle.decision_publish(ticket=ticket, member=drafter, rationale="We uphold it.")
    seen = member_case_file(ticket, third)
    assert "First's" in seen and "Second's" in seen and "Member 1" in seen
    assert not any(m.email in seen for m in (first, second, third))


def _as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client
