"""The customer's case page in a real browser: times, deadlines, replies and evidence."""

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.helpers import signed_in
from tests.factories import AgentFactory, CustomerFactory, category, png_upload, set_price
from tickets import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def filed(customer, subject="Referral bonus never paid"):
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("other"),
        subject=subject,
        description="Something went wrong with my account.",
        fields={},
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_deadline_shows_in_the_readers_time_zone_with_utc_on_hover(
    page_for, live_server, language
):
    customer = CustomerFactory()
    ticket = filed(customer)
    page = page_for(
        language, timezone_id="Asia/Shanghai", storage_state=signed_in(live_server, customer)
    )

    page.goto(f"/tickets/{ticket.reference}/")

    due = page.locator("#first-response-due")
    utc = ticket.first_response_due_at.astimezone(UTC)
    local = utc.astimezone(ZoneInfo("Asia/Shanghai"))
    if language == "en":
        assert due.inner_text() == f"{local:%b} {local.day}, {local.year}, {local:%H:%M} GMT+8"
        assert due.get_attribute("title") == f"{utc:%b} {utc.day}, {utc.year}, {utc:%H:%M} UTC"
    else:
        assert due.inner_text() == f"{local.year}年{local.month}月{local.day}日 {local:%H:%M} GMT+8"
        assert due.get_attribute("title") == f"{utc.year}年{utc.month}月{utc.day}日 {utc:%H:%M} UTC"


def test_an_htmx_swap_adds_no_inline_style_and_the_indicator_css_is_the_apps(page_for, live_server):
    customer = CustomerFactory()
    ticket = filed(customer)
    page = page_for(storage_state=signed_in(live_server, customer))
    page.goto(f"/tickets/{ticket.reference}/")

    page.click("#reply-submit")  # empty: the form comes back by htmx, marked
    page.wait_for_selector("#id_body.is-invalid")

    assert page.eval_on_selector_all("style", "styles => styles.length") == 0
    hidden = page.evaluate(
        """() => { const probe = document.createElement("span");
        probe.className = "htmx-indicator"; document.body.append(probe);
        return getComputedStyle(probe).visibility; }"""
    )
    assert hidden == "hidden"


def test_the_customers_view_from_the_workbench_hides_internal_notes(page_for, live_server):
    agent = AgentFactory(full_name="Alex Agent")
    ticket = filed(CustomerFactory())
    services.ticket_add_message(ticket=ticket, author=agent, body="Watch list match", internal=True)
    services.ticket_add_message(ticket=ticket, author=agent, body="We are checking it.")
    workbench = page_for(storage_state=signed_in(live_server, agent, staff=True))
    workbench.goto(f"/staff/tickets/{ticket.reference}/")
    assert "Watch list match" in workbench.inner_text("#conversation")

    with workbench.context.expect_page() as opened:
        workbench.get_by_role("link", name="Customer's view").click()
    view = opened.value
    view.wait_for_selector("#customer-view-note")

    assert "We are checking it." in view.inner_text("#conversation")
    assert "Watch list match" not in view.inner_text("main")
    assert "Internal note" not in view.inner_text("#timeline")
    assert view.is_disabled("#reply-submit")


def test_amounts_read_as_people_write_them_on_the_customer_and_staff_pages(page_for, live_server):
    set_price("USDT", "1")  # worth 250 USD: the customer sees the proposal at once
    agent = AgentFactory()
    customer = CustomerFactory()
    ticket = services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("other"),
        subject="Fee charged twice",
        description="The trading fee was taken twice.",
        fields={"asset": "USDT", "amount": "1520.35"},
    )
    services.ticket_propose_resolution(
        ticket=ticket,
        actor=agent,
        kind="compensation",
        summary="We refund the fee.",
        amount="250",
        asset="USDT",
    )
    page = page_for(storage_state=signed_in(live_server, customer))
    page.goto(f"/tickets/{ticket.reference}/")
    assert "250 USDT" in page.inner_text("#proposal .card-header")
    assert page.inner_text("#ticket-fields [data-field=amount]") == "1520.35"

    staff = page_for(storage_state=signed_in(live_server, agent, staff=True))
    staff.goto(f"/staff/tickets/{ticket.reference}/")
    assert "Amount: 250 ·" in staff.inner_text("#timeline")
    assert "250 USDT" in staff.inner_text("#current-proposal")
    for text in (page.inner_text("main"), staff.inner_text("main")):
        assert "000000" not in text


SEED = "abandon " * 11 + "about"


def test_a_refused_reply_does_not_stay_under_the_last_ones_sent_message(page_for, live_server):
    customer = CustomerFactory()
    ticket = filed(customer)
    page = page_for(storage_state=signed_in(live_server, customer))
    page.goto(f"/tickets/{ticket.reference}/")
    page.fill("#id_body", "The wallet is my own.")
    page.click("#reply-submit")
    page.wait_for_selector(".alert-success >> text=Your message is sent.")

    page.fill("#id_body", f"My recovery phrase is {SEED}")
    page.click("#reply-submit")
    page.wait_for_selector("#id_body.is-invalid")

    assert "Your message is sent." not in page.inner_text("main")
    assert "seed phrase" in page.inner_text("#reply-body")


def test_a_customer_adds_evidence_without_writing_a_message(page_for, live_server, tmp_path):
    customer = CustomerFactory()
    ticket = filed(customer)
    screenshot = tmp_path / "deposit-receipt.png"
    screenshot.write_bytes(png_upload().read())
    page = page_for(storage_state=signed_in(live_server, customer))
    page.goto(f"/tickets/{ticket.reference}/")

    page.set_input_files("#reply-files", screenshot)
    page.click("#reply-submit")
    page.wait_for_selector(".alert-success >> text=Your message is sent.")

    latest = page.locator("#conversation article").last.inner_text()
    assert "Added evidence" in latest and "deposit-receipt.png" in latest
    assert "deposit-receipt.png" in page.inner_text("#evidence-list")


def test_a_closed_case_shows_when_it_closed_not_a_first_reply_deadline(page_for, live_server):
    customer = CustomerFactory()
    duplicate, kept = filed(customer), filed(customer, subject="Referral bonus, again")
    services.ticket_merge(ticket=duplicate, actor=AgentFactory(), into=kept)
    page = page_for(storage_state=signed_in(live_server, customer))
    page.goto(f"/tickets/{duplicate.reference}/")

    note = page.inner_text("#time-note")
    assert note.startswith("Closed") and "due" not in note
    assert page.locator("#first-response-due").count() == 0
