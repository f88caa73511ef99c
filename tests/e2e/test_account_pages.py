"""The sign-in pages in a real browser, at phone and desktop width, in English and Chinese:
sign-up and its confirmation link, the password change, staff enrolment and backup codes,
and the way past a lockout. No console error, nothing wider than the page."""

import re

import pytest
from django.core import mail
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from tests.e2e.helpers import watch_console
from tests.factories import PASSWORD, AgentFactory, CustomerFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Each flow in both languages and at both widths: Chinese on a phone, English on a desktop
# (tests/e2e/test_pages.py checks every customer page in all four).
SCREENS = [
    pytest.param(375, "zh-CN", id="phone-zh"),
    pytest.param(1280, "en-US", id="desktop-en"),
]
NEW_PASSWORD = "a-long-and-unusual-passphrase"


@pytest.fixture
def screen(browser, live_server):
    contexts = []

    def make(width: int, locale: str):
        context = browser.new_context(
            locale=locale, base_url=live_server.url, viewport={"width": width, "height": 800}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.problems = watch_console(page)
        return page

    yield make
    for context in contexts:
        context.close()


def looks_right(page, locale: str) -> None:
    """No console error, the content fits the screen, and the page speaks the language."""
    assert page.problems == []
    overflow = page.evaluate(
        "() => [...document.querySelectorAll('main *')]"
        ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className)"
    )
    assert overflow == [], overflow
    expected = "zh-hans" if locale.startswith("zh") else "en"
    assert page.get_attribute("html", "lang") == expected


def mailed_path(pattern: str) -> str:
    body = mail.outbox[-1].body
    return re.search(rf"https?://[^/\s]+({pattern})", body)[1]


@pytest.mark.parametrize(("width", "locale"), SCREENS)
def test_sign_up_confirm_the_address_file_and_change_the_password(screen, width, locale):
    page = screen(width, locale)
    email = f"new-{width}-{locale.lower()}@example.com"
    page.goto("/accounts/sign-up/")
    looks_right(page, locale)
    page.fill("#id_email", email)
    page.fill("#id_full_name", "Lin Wei")
    page.fill("#id_password", NEW_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_selector("#sign-up-sent")
    looks_right(page, locale)

    # Signed in before confirming: filing says to confirm first, and mails a new link.
    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", NEW_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.goto("/tickets/new/")
    page.wait_for_selector("#confirm-email-first")
    looks_right(page, locale)
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("#confirm-email-first")

    page.goto(mailed_path(r"/accounts/confirm/[\w-]+/"))
    page.wait_for_selector("#id_category")  # straight to filing, now allowed
    looks_right(page, locale)

    page.goto("/accounts/profile/")
    page.wait_for_selector("#password-change")
    looks_right(page, locale)
    page.fill("#id_old_password", NEW_PASSWORD)
    page.fill("#id_new_password1", "another-unusual-passphrase")
    page.fill("#id_new_password2", "another-unusual-passphrase")
    page.locator("#password-change button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    assert page.locator("#no-api-tokens").is_visible()
    looks_right(page, locale)


def current_code(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset
    return f"{totp.token():06d}"


@pytest.mark.parametrize(("width", "locale"), SCREENS)
def test_a_staff_member_enrols_from_the_invitation_and_renews_backup_codes(screen, width, locale):
    admin = UserFactory(is_staff=True, is_superuser=True, role="admin")
    agent = AgentFactory()
    two_factor.enrolment_invite(user=agent, invited_by=admin)
    page = screen(width, locale)
    page.goto(mailed_path(r"/accounts/enrol/[\w-]+/"))
    looks_right(page, locale)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_selector(".qr-code svg")
    assert page.locator(".qr-code svg").bounding_box()["width"] > 150
    looks_right(page, locale)
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    page.fill("#id_otp_token", current_code(device))
    page.locator("main button[type=submit]").click()
    page.wait_for_selector("#backup-codes")
    assert page.locator("#backup-codes code").count() == 10
    looks_right(page, locale)

    page.goto("/accounts/security/")
    page.wait_for_selector("#two-factor-status")
    looks_right(page, locale)
    page.fill("#id_regenerate-password", PASSWORD)
    page.fill("#id_regenerate-otp_token", current_code(device, offset=30))
    page.locator("input[value=regenerate] ~ button").click()
    page.wait_for_selector("#backup-codes")
    looks_right(page, locale)


@pytest.mark.parametrize(("width", "locale"), SCREENS)
def test_a_locked_out_owner_asks_for_the_link_and_signs_in_anyway(screen, width, locale):
    customer = CustomerFactory()
    page = screen(width, locale)
    for _attempt in range(5):
        page.goto("/accounts/login/")
        page.fill("#id_username", customer.email)
        page.fill("#id_password", "wrong")
        page.locator("main button[type=submit]").click()
    page.wait_for_selector("#locked-out")
    page.problems.clear()  # the 429 itself is logged by the browser as a failed resource
    page.click("#unlock-request-link")
    looks_right(page, locale)
    page.fill("#id_email", customer.email)
    page.locator("main button[type=submit]").click()
    page.wait_for_selector("#unlock-sent")
    looks_right(page, locale)

    page.goto(mailed_path(r"/accounts/unlock/[\w-]+/"))
    looks_right(page, locale)
    page.click("#unlock-button")
    page.wait_for_url("**/accounts/login/")
    page.fill("#id_username", customer.email)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/tickets/")
    looks_right(page, locale)
