"""Every customer page, and the staff queue and workbench, at phone and desktop width.

Each page is opened once per language and checked at 375 px and at 1280 px: nothing is
wider than the window (document.documentElement.scrollWidth <= window.innerWidth) and no
page reports a console error (the page_for fixture fails the test on any). With
REDRESS_SCREENSHOTS set to a folder, the phone-width pages are saved there as PNG.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.cases import every_kind_of_case
from tests.e2e.helpers import signed_in
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE, DESKTOP = 375, 1280
LANGUAGES = ["en", "zh-hans"]

ANONYMOUS_PAGES = {
    "home": "/",
    "login": "/accounts/login/",
    "sign-up": "/accounts/sign-up/",
    "password-reset": "/accounts/password-reset/",
    "password-reset-sent": "/accounts/password-reset/sent/",
    "password-reset-bad-link": "/accounts/password-reset/MQ/bad-token/",
    "password-reset-done": "/accounts/password-reset/done/",
}

# Elements sticking out of the window, to say which when a page is too wide.
WIDER_THAN_THE_WINDOW = """() => {
  const limit = window.innerWidth;
  if (document.documentElement.scrollWidth <= limit) return [];
  return [...document.querySelectorAll("body *")]
    .filter(el => el.getBoundingClientRect().right > limit + 0.5)
    .slice(0, 5)
    .map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + (el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : ""));
}"""


# English words left on a Chinese page: runs of two or more words in visible text, outside
# what is data by nature (hashes, addresses, references: monospace) and form choices.
ENGLISH_ON_THE_PAGE = r"""() => {
  const english = /[A-Za-z]{2,}(?:[ ,'’()-]+[A-Za-z]{2,})+/;
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const parent = walker.currentNode.parentElement;
    if (!text || !english.test(text) || !parent) continue;
    if (parent.closest("select, option, script, style, .font-monospace, code, [lang=en]")) continue;
    if (!parent.checkVisibility()) continue;
    found.push(text.slice(0, 80));
  }
  return found;
}"""


def _screenshot_dir() -> Path | None:
    folder = os.environ.get("REDRESS_SCREENSHOTS")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_page(page, url: str, name: str, language: str, problems: list[str]) -> None:
    """Open the page at phone width, then look at it at desktop width too.

    A page in Chinese must not show English, staff pages included: the starting teams and
    SLA policies have Chinese names (a name an admin writes only in English shows as written).
    """
    page.set_viewport_size({"width": PHONE, "height": 800})
    page.goto(url)
    for width in (PHONE, DESKTOP):
        page.set_viewport_size({"width": width, "height": 800})
        too_wide = page.evaluate(WIDER_THAN_THE_WINDOW)
        if too_wide:
            scroll = page.evaluate("document.documentElement.scrollWidth")
            problems.append(f"{name} ({language}, {width} px) is {scroll} px wide: {too_wide}")
        if language != "en" and width == PHONE:
            english = page.evaluate(ENGLISH_ON_THE_PAGE)
            if english:
                problems.append(f"{name} ({language}) shows English: {english}")
        folder = _screenshot_dir()
        if folder is not None and width == PHONE:
            page.screenshot(path=folder / f"{language}-{PHONE}-{name}.png", full_page=True)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_customer_page_fits_a_phone_and_a_desktop(page_for, live_server, language):
    cases = every_kind_of_case(language)
    problems: list[str] = []

    anonymous = page_for(language)
    for name, url in ANONYMOUS_PAGES.items():
        check_page(anonymous, url, name, language, problems)

    page = page_for(language, storage_state=signed_in(live_server, cases.customer))
    customer_pages = {
        "my-cases": "/tickets/",
        "file": "/tickets/new/",
        "file-withdrawal": "/tickets/new/?category=withdrawal-not-received",
        "profile": "/accounts/profile/",
        **{f"case-{state}": f"/tickets/{t.reference}/" for state, t in cases.tickets.items()},
    }
    for name, url in customer_pages.items():
        check_page(page, url, name, language, problems)

    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_staff_queue_and_workbench_fit_a_phone(page_for, live_server, language):
    cases = every_kind_of_case(language)
    problems: list[str] = []
    page = page_for(language, storage_state=signed_in(live_server, cases.agent, staff=True))
    staff_pages = {
        "staff-queue": "/staff/?view=all",
        "staff-workbench": f"/staff/tickets/{cases.tickets['new'].reference}/",
        "staff-workbench-proposed": f"/staff/tickets/{cases.tickets['proposed'].reference}/",
    }
    for name, url in staff_pages.items():
        check_page(page, url, name, language, problems)

    assert not problems, "\n".join(problems)


def test_on_a_phone_the_navigation_folds_into_a_menu(page_for, live_server):
    page = page_for(width=PHONE, storage_state=signed_in(live_server, CustomerFactory()))
    page.goto("/tickets/")

    assert not page.is_visible("#nav-logout")
    page.click("#nav-toggle")
    page.wait_for_selector("#nav-logout", state="visible")
    for selector in ("#nav-profile", "#nav-logout", ".language-switch button[lang=zh-hans]"):
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE, selector
    # "简体中文" stays on one line instead of one character per line.
    chinese = page.locator(".language-switch button[lang=zh-hans]").bounding_box()
    english = page.locator(".language-switch button[lang=en]").bounding_box()
    assert chinese["height"] == english["height"]
