"""What the browser tests share: watching a page for problems, signing in as a person does."""

from urllib.parse import urlsplit

from django.conf import settings
from django.test import Client

from tests.factories import PASSWORD, login_verified, totp_code


def watch(page, problems: list[str]) -> None:
    """Collect what the page reports as wrong: console errors and warnings, uncaught errors."""
    page.on(
        "console",
        lambda message: (
            problems.append(f"{page.url}: console {message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"{page.url}: uncaught {error}"))


def watch_console(page) -> list[str]:
    """What `page` reports as wrong, for a test that opens its own pages (`page_for` watches
    the pages it makes itself)."""
    problems: list[str] = []
    watch(page, problems)
    return problems


def sign_in(page, user, *, device=None, next_url="/staff/"):
    """Sign in through the real pages: the password, then the TOTP code for staff."""
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    if device is not None:
        page.wait_for_url("**/accounts/login/code/**")
        page.fill("#id_otp_token", totp_code(device))
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"**{next_url}")


def signed_in(live_server, user, *, staff: bool = False) -> dict:
    """A browser storage state holding a session for `user` (staff: with the second factor done).

    For tests about pages rather than about signing in: one session, shared by every page
    the test opens, without typing a password each time.
    """
    client = Client()
    if staff:
        login_verified(client, user)
    else:
        client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    return {
        "cookies": [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": cookie.value,
                "domain": urlsplit(live_server.url).hostname,
                "path": "/",
                "httpOnly": True,
                "secure": False,
                "sameSite": "Lax",
                "expires": -1,
            }
        ],
        "origins": [],
    }
