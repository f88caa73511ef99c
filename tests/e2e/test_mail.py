"""Mail in a real browser: a customer's reply by mail reaches the agent's workbench, and
people choose their mail on the profile page; at phone and desktop width, in both languages.
"""

import pytest

from mail.models import Notification, OptOut
from mail.smtp import Listener
from mail.tasks import notify
from tests.e2e.helpers import watch_console
from tests.factories import (
    PASSWORD,
    AgentFactory,
    CustomerFactory,
    category,
    enroll_totp,
    totp_code,
)
from tests.mail.helpers import compose, send_smtp
from tickets import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = {"phone": 375, "desktop": 1280}
# Each flow in both languages and at both widths: Chinese on a phone, English on a desktop.
CASES = [("zh-CN", "phone"), ("en-US", "desktop")]
TEXT = {
    "en-US": {
        "kind": "A customer replied or added evidence on your case",
        "save": "Save mail preferences",
        "saved": "Your mail preferences are saved.",
        "reply": "Replies from our support team",
    },
    "zh-CN": {
        "kind": "客户在您负责的案件中回复或补充了证据",
        "save": "保存邮件偏好",
        "saved": "您的邮件偏好已保存。",
        "reply": "客服团队的回复",
    },
}


def at(page_for, locale, width):
    page = page_for(locale)
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    return page


def sign_in(page, user, *, device=None, next_url="/staff/"):
    """tests.e2e.helpers.sign_in, by the buttons' place rather than their English names."""
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button.btn-primary[type=submit]").click()
    if device is not None:
        page.wait_for_url("**/accounts/login/code/**")
        page.fill("#id_otp_token", totp_code(device))
        page.locator("main form button.btn-primary[type=submit]").click()
    page.wait_for_url(f"**{next_url}")


def fits(page, selector: str) -> bool:
    """The element shows its content without a horizontal scroll bar of its own page."""
    return page.evaluate(
        "(s) => { const e = document.querySelector(s); return e.scrollWidth <= e.clientWidth + 1; }",
        selector,
    )


@pytest.fixture
def listener():
    listener = Listener("127.0.0.1", 0).start()
    yield listener
    listener.stop()


@pytest.mark.parametrize(("locale", "width"), CASES)
def test_a_customer_replies_by_mail_and_the_agent_sees_it_on_the_workbench(
    page_for, listener, locale, width, settings
):
    settings.REDRESS_PRESENCE_HEARTBEAT_SECONDS = 1  # the open workbench looks every second
    agent = AgentFactory(full_name="Alex Agent")
    device = enroll_totp(agent)
    customer = CustomerFactory(full_name="Lin Wei")
    ticket = services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("other"),
        subject="Referral bonus never paid",
        description="The bonus for inviting my friend never arrived.",
        fields={},
    )
    services.ticket_claim(ticket=ticket, actor=agent)
    message = services.ticket_add_message(ticket=ticket, author=agent, body="Which account?")
    notify("staff_replied", message.pk)
    # The mail the customer got names the address to answer.
    reply_to = Notification.objects.get(kind="reply").reply_to

    page = at(page_for, locale, width)
    problems = watch_console(page)
    sign_in(page, agent, device=device)
    page.goto(f"/staff/tickets/{ticket.reference}/")
    page.wait_for_selector("#workbench")
    answer = "The friend's UID is 38004417, she signed up on 3 March."
    raw = compose(
        sender=customer.email,
        to=reply_to,
        subject=f"Re: New reply on your case {ticket.reference}",
        body=f"{answer}\n\nOn Mon, Mar 9, 2026 at 10:00 Redress wrote:\n> Which account?",
    )
    send_smtp(listener.address, raw, mail_from=customer.email, to=[reply_to])
    # The open workbench says a message came in, without the agent reloading.
    page.click("#written-since-show")
    page.wait_for_selector(f"#conversation >> text={answer}")
    assert "On Mon, Mar 9" not in page.inner_text("#conversation")  # the quote is cut
    # The assignee was told by mail too.
    assert Notification.objects.filter(kind="customer_wrote", to=agent.email).exists()
    assert problems == []


@pytest.mark.parametrize(("locale", "width"), CASES)
def test_a_staff_member_turns_a_notification_kind_off(page_for, locale, width):
    agent = AgentFactory()
    device = enroll_totp(agent)
    page = at(page_for, locale, width)
    problems = watch_console(page)
    sign_in(page, agent, device=device)
    page.goto("/accounts/profile/")
    box = page.get_by_label(TEXT[locale]["kind"])
    assert box.is_checked()
    assert fits(page, "#mail-preferences")
    box.uncheck()
    page.get_by_role("button", name=TEXT[locale]["save"]).click()
    page.wait_for_selector(f"text={TEXT[locale]['saved']}")
    assert not page.get_by_label(TEXT[locale]["kind"]).is_checked()
    assert OptOut.objects.filter(user=agent, kind="customer_wrote").exists()
    assert problems == []


@pytest.mark.parametrize(("locale", "width"), CASES)
def test_a_customer_turns_off_replies_by_mail_but_not_what_the_rules_require(
    page_for, locale, width
):
    customer = CustomerFactory()
    page = at(page_for, locale, width)
    problems = watch_console(page)
    sign_in(page, customer, next_url="/accounts/profile/")
    assert page.locator("[data-kind=received]").count() == 0  # required: not a choice
    page.get_by_label(TEXT[locale]["reply"]).uncheck()
    page.get_by_role("button", name=TEXT[locale]["save"]).click()
    page.wait_for_selector(f"text={TEXT[locale]['saved']}")
    assert OptOut.objects.filter(user=customer, kind="reply").exists()
    assert fits(page, "#mail-preferences")
    assert problems == []


@pytest.mark.parametrize(("locale", "width"), CASES)
def test_staff_read_and_dismiss_a_strangers_mail_held_for_them(page_for, listener, locale, width):
    from mail.models import InboundMessage

    agent = AgentFactory()
    device = enroll_totp(agent)
    customer = CustomerFactory()
    ticket = services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("other"),
        subject="Withdrawal stuck",
        description="It has been three days.",
        fields={},
    )
    raw = compose(
        sender="recovery-desk@example.net",
        subject=f"Re: {ticket.reference}",
        body="Send the refund to our wallet instead.",
    )
    send_smtp(
        listener.address, raw, mail_from="recovery-desk@example.net", to=["support@redress.local"]
    )
    page = at(page_for, locale, width)
    problems = watch_console(page)
    sign_in(page, agent, device=device)
    page.locator("#nav-mail").click()
    page.wait_for_url("**/mail/held/")
    item = page.locator("#held-list li[data-inbound]")
    assert (
        "recovery-desk@example.net" in item.inner_text() and ticket.reference in item.inner_text()
    )
    # (The navigation bar is wider than a phone until issue 10 collapses it: not this page.)
    assert fits(page, "#held-list") and fits(page, "#held-mail")
    item.locator("form button").click()
    page.wait_for_selector("#held-list li:not([data-inbound])")
    assert InboundMessage.objects.get().state == InboundMessage.State.DISMISSED
    assert problems == []
