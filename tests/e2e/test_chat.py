"""Live chat in a real browser, two contexts at once: a customer and an agent.

The customer asks the bot, asks for a person and waits; the agent accepts; messages go
both ways in real time over the WebSocket; the customer sends a screenshot and is refused a
seed phrase; the agent turns the chat into a case that the customer finds under My cases.
A customer whose connection drops reads, on coming back, exactly what was written meanwhile.
Both languages, at phone and desktop width; every page watched for console errors.
"""

import io
import re
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection
from PIL import Image
from playwright.sync_api import expect

from chat import services
from chat.models import Chat, ChatAgent, ChatState
from tests.chat import helpers as chat_helpers
from tests.e2e.asgi_server import asgi_server  # noqa: F401 (the fixture)
from tests.e2e.helpers import signed_in, watch
from tests.factories import AgentFactory, CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SEED = "abandon ability able about above absent absorb abstract absurd abuse access accident"
TEXT = {
    "en-US": {
        "question": "My USDT withdrawal has not arrived",
        "person": "Talk to a person",
        "refused": "recovery phrase",
        "cases": "My cases",
    },
    "zh-CN": {
        "question": "USDT 提现未到账",
        "person": "人工",
        "refused": "助记词",
        "cases": "我的",
    },
}


@pytest.fixture
def open_page(browser, asgi_server, console_problems):  # noqa: F811
    contexts = []

    def make(user, *, locale="en-US", width=1280, staff=False):
        context = browser.new_context(
            locale=locale,
            base_url=asgi_server.url,
            viewport={"width": width, "height": 900},
            storage_state=signed_in(asgi_server, user, staff=staff),
        )
        context.set_default_timeout(15_000)
        context.on("page", lambda page: watch(page, console_problems))
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def no_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def screenshot(tmp_path) -> str:
    path = tmp_path / "screenshot.png"
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), "white").save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


# The refused seed phrase is the API's 400, which the browser reports as a failed load.
@pytest.mark.console_allows(r"status of 400 \(Bad Request\)")
@pytest.mark.parametrize(
    ("locale", "width"), [("en-US", 1280), ("zh-CN", 375)], ids=["en-1280", "zh-375"]
)
def test_customer_and_agent_chat_in_real_time_and_the_chat_becomes_a_case(
    open_page, locale, width, tmp_path
):
    call_command("seed_helpcenter", verbosity=0)
    text = TEXT[locale]
    customer = CustomerFactory(full_name="Lin Wei")
    customer.customer_profile.preferred_language = "zh-hans" if locale == "zh-CN" else "en"
    customer.customer_profile.save()
    agent = AgentFactory(full_name="Sam")
    ChatAgent.objects.create(user=agent, max_chats=3)

    mine = open_page(customer, locale=locale, width=width)
    mine.goto("/help/")
    mine.locator("#nav-toggle:visible, #nav-chat:visible").first.click()
    mine.locator("#nav-chat").click()
    expect(mine.locator("#chat-phishing")).to_be_visible()
    mine.fill("#id_message", text["question"])
    mine.locator("#chat-start-form button[type=submit]").click()
    # The bot answers from the help center, with articles and "did this solve it?".
    expect(mine.locator(".chat-bot .chat-articles a").first).to_be_visible()
    expect(mine.locator(".chat-solved button")).to_have_count(2)
    assert no_overflow(mine)

    # The agent comes online; the customer asks for a person and waits.
    desk = open_page(agent, staff=True)
    desk.goto("/staff/chats/")
    desk.locator("#chat-go-available").click()
    expect(desk.locator("#chat-available-badge")).to_be_visible()
    mine.locator("#chat-talk-to-person").click()
    chat = Chat.objects.get(customer=customer)
    # The panel hears of the offer over its socket and shows it.
    desk.locator(f"#chat-accept-{chat.pk}").click()
    desk.wait_for_url(f"**/staff/chats/{chat.pk}/")
    expect(mine.locator(".chat-system").last).to_contain_text("Sam")

    # Real time both ways, with typing shown.
    desk.fill("#chat-body", "Hello, I am looking at it now.")
    desk.locator("#chat-send").click()
    expect(mine.locator(".chat-agent .chat-text").last).to_have_text(
        "Hello, I am looking at it now."
    )
    # The customer's page has read it: the agent's message says so.
    expect(desk.locator(".chat-agent .chat-read-mark").last).to_be_visible()
    mine.locator("#chat-body").press_sequentially("I sent 250 USDT on TRC20")
    expect(desk.locator("#chat-typing")).to_be_visible()
    mine.locator("#chat-send").click()
    expect(desk.locator(".chat-customer .chat-text").last).to_have_text("I sent 250 USDT on TRC20")
    # An internal note stays with staff.
    desk.fill("#chat-body", "Customer seems legit")
    desk.check("#chat-internal")
    desk.locator("#chat-send").click()
    expect(desk.locator(".chat-internal")).to_have_count(1)

    # A screenshot goes through the evidence rules; a seed phrase is refused, unstored.
    mine.set_input_files("#chat-file", screenshot(tmp_path))
    mine.locator("#chat-send").click()
    expect(desk.locator(".chat-customer a", has_text="screenshot")).to_be_visible()
    mine.fill("#chat-body", SEED)
    mine.locator("#chat-send").click()
    expect(mine.locator("#chat-error")).to_contain_text(text["refused"])
    assert not chat.messages.filter(body__contains="abandon").exists()
    assert mine.locator(".chat-internal").count() == 0
    assert mine.locator("text=Customer seems legit").count() == 0

    # Reload: the whole conversation, each message once.
    mine.reload()
    expect(mine.locator(".chat-message")).to_have_count(
        chat.messages.filter(internal=False).count()
    )
    seqs = mine.locator(".chat-message").evaluate_all("els => els.map(e => e.dataset.seq)")
    assert len(seqs) == len(set(seqs))

    # The agent turns the chat into a case: the fields the chat holds are filled in.
    desk.reload()
    expect(desk.locator("#id_amount")).to_have_value("250")
    expect(desk.locator("#id_network")).to_have_value("TRC20")
    desk.select_option("#id_category", "other")
    desk.locator("#chat-file-ticket").click()
    desk.wait_for_url(re.compile(r"/staff/tickets/RD-"))
    chat.refresh_from_db()
    assert chat.state == ChatState.TICKETED
    reference = chat.ticket.reference
    assert chat.ticket.attachments.count() == 1

    # The customer's page hears of it, offers the rating, and the case is under My cases.
    expect(mine.locator("#chat-rating")).to_be_visible()
    expect(mine.locator("#chat-case-link")).to_be_visible()
    assert no_overflow(mine)
    mine.goto("/tickets/")
    expect(mine.locator("#my-tickets")).to_contain_text(reference)
    mine.locator("#my-tickets a", has_text=reference).click()
    expect(mine.locator("#case-chat")).to_be_visible()
    assert no_overflow(mine)
    assert services.transcript_text(chat).count("250 USDT") == 1


def in_thread(function, **kwargs):
    """Call a service from a thread of its own: Playwright's event loop runs in this one,
    where the chat's pushes (async_to_sync) cannot be sent."""
    result = []

    def call():
        try:
            result.append(function(**kwargs))
        finally:
            connection.close()

    thread = threading.Thread(target=call)
    thread.start()
    thread.join()
    assert result, f"{function.__name__} failed (its traceback is above)"
    return result[0]


def agent_writes(chat, agent, body: str) -> None:
    in_thread(services.chat_message_add, chat=chat, author=agent, body=body)


@pytest.mark.parametrize(
    ("locale", "width"), [("en-US", 1280), ("zh-CN", 375)], ids=["en-1280", "zh-375"]
)
def test_a_dropped_connection_misses_nothing_and_shows_nothing_twice(open_page, locale, width):
    chat = in_thread(chat_helpers.active)
    agent = chat.agent
    page = open_page(chat.customer, locale=locale, width=width)
    # Every socket the page opens goes through here: the first is joined to the server; the
    # one it opens after the drop is held, unjoined, until the test lets it through.
    sockets = []

    def route(socket):
        sockets.append(socket)
        if len(sockets) == 1:
            sockets.append(socket.connect_to_server())

    page.route_web_socket(re.compile(r"/ws/chats/"), route)
    page.goto(f"/chat/{chat.pk}/")
    shown = page.locator(".chat-message")
    expect(shown).to_have_count(chat.messages.filter(internal=False).count())
    agent_writes(chat, agent, "Before the drop.")
    expect(page.locator(".chat-agent .chat-text").last).to_have_text("Before the drop.")

    sockets[1].close()  # the server side goes: the page sees its socket close
    expect(page.locator("#chat-connection")).to_be_visible()
    deadline = time.monotonic() + 10
    while len(sockets) < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(100)  # chat.js opens a new socket after a second or so
    assert len(sockets) == 3, "the page did not open a new socket"
    # Written while the page was away: no push reached it, and it read nothing.
    agent_writes(chat, agent, "While you were away.")
    page.wait_for_timeout(500)
    assert page.locator("text=While you were away.").count() == 0

    sockets[2].connect_to_server()  # back: the hello names the new message, the page reads it
    # Well before the page's 20-second read would find it.
    expect(page.locator(".chat-agent .chat-text").last).to_have_text(
        "While you were away.", timeout=5_000
    )
    expect(shown).to_have_count(chat.messages.filter(internal=False).count())
    seqs = shown.evaluate_all("els => els.map(e => e.dataset.seq)")
    assert len(seqs) == len(set(seqs)) and seqs == sorted(seqs, key=int)


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
@pytest.mark.parametrize("width", [375, 1280])
def test_the_staff_chat_pages_fit_the_screen(open_page, locale, width):
    agent = AgentFactory(full_name="Sam")
    ChatAgent.objects.create(user=agent, max_chats=3)
    services.chat_availability_set(agent=agent, available=True)
    customer = CustomerFactory(full_name="A customer with a rather long name indeed")
    chat = services.chat_start(
        customer=customer,
        message="I sent 250 USDT on TRC20 to TJRabPrwbZy45sbavfcjinPJC18kjpRTv8",
        category=None,
    )
    services.chat_request_person(chat=chat, actor=customer)
    desk = open_page(agent, locale=locale, width=width, staff=True)
    desk.goto("/staff/chats/")
    expect(desk.locator(f"#chat-accept-{chat.pk}")).to_be_visible()
    assert no_overflow(desk)
    desk.locator(f"#chat-accept-{chat.pk}").click()
    desk.wait_for_url(f"**/staff/chats/{chat.pk}/")
    expect(desk.locator("#chat-to-ticket")).to_be_visible()
    expect(desk.locator(".chat-customer .chat-text").first).to_contain_text("250 USDT")
    expect(desk.locator("#id_wallet_address")).to_have_value("TJRabPrwbZy45sbavfcjinPJC18kjpRTv8")
    assert no_overflow(desk)
