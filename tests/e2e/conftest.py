"""Playwright driving Debian's Chromium against pytest-django's live server.

Every page a test opens is watched: a console error or warning (a CSP violation, a failed
request such as a missing favicon) or an uncaught exception fails the test. A test that
expects one says so with `@pytest.mark.console_allows(r"regex", ...)`.
"""

import os
import re
import shutil

import pytest

from tests.e2e.helpers import watch

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself (factories, assertions) are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "console_allows(*patterns): console errors this test expects (regexes)"
    )


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) is None:
        skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
        for item in items:
            if "e2e" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield browser
        browser.close()


@pytest.fixture
def console_problems(request):
    """What every page of this test reported; the test fails on any it did not expect."""
    problems: list[str] = []
    yield problems
    allowed = [
        re.compile(pattern)
        for marker in request.node.iter_markers("console_allows")
        for pattern in marker.args
    ]
    unexpected = [p for p in problems if not any(a.search(p) for a in allowed)]
    if unexpected:
        pytest.fail("The browser reported problems:\n" + "\n".join(unexpected), pytrace=False)


@pytest.fixture
def page_for(browser, live_server, console_problems):
    """A new page in a fresh context, speaking the given language, watched for problems."""
    contexts = []

    def make(locale="en-US", *, width=1280, height=900, timezone_id="UTC", storage_state=None):
        context = browser.new_context(
            locale=locale,
            timezone_id=timezone_id,
            base_url=live_server.url,
            viewport={"width": width, "height": height},
            storage_state=storage_state,
        )
        context.set_default_timeout(15_000)
        context.on("page", lambda page: watch(page, console_problems))
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
