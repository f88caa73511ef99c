"""What the browser tests share: signing in as a person does, and watching the console."""

from tests.factories import PASSWORD, totp_code


def watch_console(page) -> list[str]:
    """Console errors and warnings (a CSP violation shows up here)."""
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if message.type in ("error", "warning") else None
        ),
    )
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
