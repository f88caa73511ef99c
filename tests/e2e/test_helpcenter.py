"""The help center in a real browser, at phone and desktop width, in English and Chinese.

A customer searches, opens an article and says it helped; another types a subject on the
filing page, sees suggestions, opens one, files anyway, and the agent sees what was read.
"""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from helpcenter.models import ArticleDay, TicketArticleRead
from tests.e2e.helpers import watch_console
from tests.factories import PASSWORD, AgentFactory, CustomerFactory, enroll_totp, totp_code
from tickets.models import Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = [375, 1280]
LOCALES = ["en-US", "zh-CN"]
SEARCH = {"en-US": "deposit not credited", "zh-CN": "到账"}
SUBJECT = {"en-US": "USDT withdrawal never arrived", "zh-CN": "USDT 提现未到账"}


@pytest.fixture
def library():
    call_command("seed_helpcenter", verbosity=0)


def sign_in(page, user, *, next_url, device=None):
    """The real sign-in in any language: the password, then the code for staff (Enter)."""
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    if device is not None:
        page.wait_for_url("**/accounts/login/code/**")
        page.fill("#id_otp_token", totp_code(device))
        page.press("#id_otp_token", "Enter")
    page.wait_for_url(f"**{next_url}")


def at_width(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    return page


def fits(page) -> bool:
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_help_page_fits_and_warns_against_phishing(page_for, library, locale, width):
    page = at_width(page_for(locale), width)
    problems = watch_console(page)
    for path in (
        "/help/",
        "/help/topics/security/",
        "/help/complaints-procedure/",
        "/help/search/?q=2FA",
        "/help/articles/staff-will-never-ask/",
    ):
        page.goto(path)
        assert page.locator(".anti-phishing").is_visible(), path
        assert fits(page), path
    page.goto("/help/complaints-procedure/")
    assert page.locator("#procedure-tier-support .limit").first.is_visible()
    assert problems == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("locale", LOCALES)
def test_a_customer_searches_opens_an_article_and_says_it_helped(page_for, library, locale, width):
    page = at_width(page_for(locale), width)
    problems = watch_console(page)
    page.goto("/")
    if width < 992:
        page.click("#nav-toggle")  # on a phone the links are behind the menu button
    page.click("#nav-help")
    page.wait_for_selector("#help-topics")
    page.fill("#help-q", SEARCH[locale])
    page.click("#help-search-submit")
    page.wait_for_selector("#search-results")
    assert page.locator("#search-results mark").count() > 0
    first = page.locator("#search-results .search-hit a").first
    title = first.inner_text()
    first.click()
    page.wait_for_selector("#article")
    assert page.inner_text("h1") == title
    page.click("#helpful-yes")
    page.wait_for_selector("#feedback-thanks")
    assert fits(page)
    assert (
        ArticleDay.objects.get(article__slug=page.get_attribute("#article", "data-slug")).helpful
        == 1
    )
    assert problems == []


@pytest.mark.parametrize("locale", LOCALES)
def test_slow_suggestions_while_the_customer_types_abort_nothing_and_the_last_answer_stays(
    page_for, library, locale, monkeypatch
):
    """A slow first answer (an incident's surge) must not be aborted by the next keystroke:
    htmx reports an aborted request as a console error, as CI once saw."""
    import time

    from helpcenter import views

    asked = []
    suggest = views.suggest_articles

    def slow(text, **kwargs):
        asked.append(text)
        time.sleep(1.5)
        return suggest(text, **kwargs)

    monkeypatch.setattr(views, "suggest_articles", slow)
    customer = CustomerFactory()
    page = page_for(locale)
    sign_in(page, customer, next_url="/tickets/new/")
    page.fill("#id_subject", SUBJECT[locale])  # asked 0.5 s later, while "load"'s is in flight
    page.wait_for_timeout(700)
    page.type("#id_subject", " ")  # asked again while the first still waits
    page.wait_for_selector("#suggestion-list .suggestion", timeout=10_000)
    page.wait_for_function("() => window.htmx && !document.querySelector('.htmx-request')")
    assert asked[0] == "" and asked[-1].strip() == SUBJECT[locale]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("locale", LOCALES)
def test_suggestions_while_typing_then_file_anyway_and_the_agent_sees_what_was_read(
    page_for, library, locale, width
):
    customer = CustomerFactory()
    page = at_width(page_for(locale), width)
    problems = watch_console(page)
    sign_in(page, customer, next_url="/tickets/new/")
    page.select_option("#id_category", "other")
    page.fill("#id_subject", SUBJECT[locale])
    page.wait_for_selector("#suggestion-list .suggestion")
    suggestion = page.locator("#suggestion-list .suggestion a").first
    title = suggestion.inner_text()
    with page.context.expect_page() as opened:
        suggestion.click()
    article = opened.value
    article.wait_for_selector("#solved-box")  # opened from a suggestion
    article.close()

    page.fill("#id_description", "I withdrew 1520 USDT on TRC20 and my wallet got nothing.")
    page.click("#filing-submit")
    page.wait_for_url("**/tickets/RD-*/")
    ticket = Ticket.objects.get(customer=customer)
    read = TicketArticleRead.objects.get(ticket=ticket)
    assert (
        read.from_suggestion and read.article.title_in("zh" if locale == "zh-CN" else "en") == title
    )
    assert ArticleDay.objects.get(article=read.article).filed_anyway == 1
    assert problems == []

    agent = AgentFactory()
    device = enroll_totp(agent)
    staff = at_width(page_for(locale), width)
    staff_problems = watch_console(staff)
    sign_in(staff, agent, device=device, next_url=f"/staff/tickets/{ticket.reference}/")
    staff.wait_for_selector("#articles-read")
    assert title in staff.inner_text("#articles-read")
    staff.select_option("#article-select", read.article.slug)
    expect(staff.locator("#id_reply-body")).to_have_value(re.compile(r"/help/articles/"))
    staff.goto("/help/insights/")
    assert staff.inner_text("#figure-shown") != "0"
    assert fits(staff)
    assert staff_problems == []
