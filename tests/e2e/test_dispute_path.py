"""The whole dispute path in a real browser, each person in their own browser context.

The customer files with evidence; support proposes; the customer disputes; the appeal
center proposes; the customer disputes again; a panel of three independent committee
members is drawn (queued on commit, run eagerly by Celery in tests) and votes; one member of
the majority writes the decision; the customer reads it with its reasons and downloads a case
file that verifies as intact.
"""

import io
import re

import pytest
from django.core.management import call_command
from PIL import Image

from accounts.models import Team
from escalation.models import Panel
from tests.e2e.helpers import sign_in
from tests.factories import (
    CustomerFactory,
    UserFactory,
    enroll_totp,
)
from tickets.models import Ticket, Tier

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TRON_TXID = "c4b5fb0e1cf1b0a5b8f2a1e0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"


def staff(role: str, name: str):
    user = UserFactory(role=role, is_staff=True, full_name=name)
    return user, enroll_totp(user)


def screenshot_file(tmp_path):
    path = tmp_path / "wallet-history.png"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), "white").save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def propose_on_workbench(page, reference: str, summary: str) -> None:
    page.goto(f"/staff/tickets/{reference}/")
    page.click("#action-propose summary")
    page.select_option("#id_propose-kind", "explanation")
    page.fill("#id_propose-summary", summary)
    page.click("#propose-submit")
    page.wait_for_selector(".alert-success >> text=Resolution proposed.")


def dispute(page, reference: str, reason: str, tier: str) -> None:
    page.goto(f"/tickets/{reference}/")
    page.wait_for_selector("#accept-proposal")
    page.fill("#appeal-form textarea[name=reason]", reason)
    page.click("#appeal-submit")
    page.wait_for_selector(f".alert-success >> text=The {tier} now reviews your case.")


def test_a_case_climbs_to_the_committee_and_its_decision_is_published(page_for, tmp_path):
    customer = CustomerFactory(full_name="Lin Wei")
    agent, agent_device = staff("agent", "Alex Agent")
    agent.teams.add(Team.objects.get(code="funding"))  # agents read their teams' cases
    appeal_officer, officer_device = staff("appeal_officer", "Olga Officer")
    # Fresh committee members: none of them handled the case, so all three can sit.
    members = [staff("committee", f"Member {n}") for n in (1, 2, 3)]

    # The customer files a withdrawal complaint with a screenshot.
    customer_page = page_for()
    sign_in(customer_page, customer, next_url="/tickets/new/")
    customer_page.select_option("#id_category", "withdrawal-not-received")
    customer_page.wait_for_selector("#id_wallet_address")
    customer_page.fill("#id_subject", "USDT withdrawal never arrived")
    customer_page.fill("#id_description", "I withdrew 1520.35 USDT on TRC20; nothing arrived.")
    customer_page.fill("#id_occurred_at", "2026-03-06T10:18")
    customer_page.select_option("#id_asset", "USDT")
    customer_page.select_option("#id_network", "TRC20")
    customer_page.fill("#id_amount", "1520.35")
    customer_page.fill("#id_wallet_address", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    customer_page.fill("#id_txid", TRON_TXID)
    customer_page.set_input_files("input[name=files]", screenshot_file(tmp_path))
    customer_page.get_by_role("button", name="File the complaint").click()
    customer_page.wait_for_url(re.compile(r".*/tickets/RD-[A-Z0-9-]+/$"))
    ticket = Ticket.objects.get(customer=customer)
    reference = ticket.reference

    # Support proposes on the workbench; the customer disputes it.
    agent_page = page_for()
    sign_in(agent_page, agent, device=agent_device)
    propose_on_workbench(
        agent_page, reference, "The chain shows the transfer reached your address."
    )
    dispute(
        customer_page,
        reference,
        "That address is not mine: it differs by one letter.",
        "Appeal Center",
    )
    ticket.refresh_from_db()
    assert ticket.tier == Tier.APPEAL_CENTER

    # The appeal center proposes; at this tier escalating means the committee.
    officer_page = page_for()
    sign_in(officer_page, appeal_officer, device=officer_device)
    officer_page.goto(f"/staff/tickets/{reference}/")
    assert officer_page.inner_text("#action-escalate summary") == "Refer to the Dispute Committee"
    propose_on_workbench(
        officer_page, reference, "Our withdrawal log shows the address you entered."
    )
    dispute(
        customer_page,
        reference,
        "Your system changed the address after I pasted it.",
        "Dispute Committee",
    )

    # The second dispute queued the draw on commit; eager Celery ran it in the server thread.
    panel = Panel.objects.get(ticket=ticket)
    assert panel.state == Panel.State.SITTING
    assert set(panel.seats.values_list("member_id", flat=True)) == {m.pk for m, _ in members}

    votes = [
        (
            "overturn",
            "The log shows the address changed after it was pasted.",
            "Credit 1520.35 USDT.",
        ),
        ("overturn", "The customer's screenshot matches their own wallet.", "Refund in full."),
        ("uphold", "The address was confirmed by email before sending.", ""),
    ]
    member_pages = []
    for (member, device), (decision, rationale, remedy) in zip(members, votes, strict=True):
        page = page_for()
        member_pages.append(page)
        sign_in(page, member, device=device, next_url="/staff/committee/")
        page.locator("#panels-sitting").get_by_role("link", name=reference).click()
        page.wait_for_selector("#vote-form")
        case_file = page.inner_text("#committee-case")
        assert "That address is not mine" in case_file  # the first dispute
        assert "Your system changed the address" in case_file  # the appeal to the committee
        assert ticket.attachments.get().sha256 in page.inner_text("#evidence-list")
        page.check(f"#decision-{decision}")
        page.fill("#id_rationale", rationale)
        page.fill("#id_remedy", remedy)
        page.click("#vote-submit")
        page.wait_for_selector(".alert-success")

    # The last vote was the dissent: its member is not told it decided anything.
    told = member_pages[-1].inner_text(".messages")
    assert "decided the case" not in told and "The majority decided otherwise" in told
    panel.refresh_from_db()
    assert panel.state == Panel.State.DRAFTING and panel.decision == "overturn"

    # One member of the majority writes the decision: one text, one remedy.
    drafter_page = member_pages[[m.pk for m, _ in members].index(panel.drafter_id)]
    drafter_page.reload()
    assert drafter_page.input_value("#id_rationale") in (votes[0][1], votes[1][1])
    published = "The withdrawal log shows the address changed after it was pasted."
    drafter_page.fill("#id_rationale", published)
    drafter_page.fill("#id_remedy", "Credit 1520.35 USDT.")
    drafter_page.click("#publish-submit")
    drafter_page.wait_for_selector(".alert-success >> text=The decision is published")
    for page in member_pages:
        page.reload()
        assert page.locator("#vote-form").count() == 0
        assert page.inner_text("#decision-verdict") == "Overturn"
    panel.refresh_from_db()
    assert panel.state == Panel.State.DECIDED and panel.decision == "overturn"

    customer_page.goto(f"/tickets/{reference}/")
    decision = customer_page.inner_text("#decision")
    assert "Overturn" in decision
    assert published in decision and decision.count("Credit 1520.35 USDT.") == 1
    assert votes[2][1] not in decision  # the dissent is recorded, not published

    with customer_page.expect_download() as download_info:
        customer_page.click("#case-file")
    download = download_info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    out = io.StringIO()
    call_command("verify_case_file", str(path), stdout=out)
    assert "intact" in out.getvalue() and "signature valid" in out.getvalue()
