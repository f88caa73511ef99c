import pytest
from django.test import Client

from chat import services
from chat.models import Chat, ChatState
from tests.chat.helpers import active, available_agent, start
from tests.factories import AgentFactory, CustomerFactory, category, login_verified

pytestmark = pytest.mark.django_db

SEED = "abandon ability able about above absent absorb abstract absurd abuse access accident"


def signed_in(user, staff=False) -> Client:
    client = Client()
    if staff:
        login_verified(client, user)
    else:
        client.force_login(user)
    return client


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_customer_starts_a_chat_from_the_page(language):
    customer = CustomerFactory()
    web = signed_in(customer)
    web.cookies["django_language"] = language
    page = web.get("/chat/")
    assert page.status_code == 200
    assert b'id="chat-phishing"' in page.content
    refused = web.post("/chat/", {"message": SEED})
    assert refused.status_code == 400
    assert not Chat.objects.exists()
    started = web.post("/chat/", {"message": "Deposit missing", "category": "deposit-not-credited"})
    chat = Chat.objects.get()
    assert started.url == f"/chat/{chat.pk}/"
    assert chat.language == language
    page = web.get(started.url)
    assert b'id="chat-talk-to-person"' in page.content and b"js/chat.js" in page.content
    assert web.get("/chat/").url == f"/chat/{chat.pk}/"  # the open chat, not a second one
    web.post(f"/chat/{chat.pk}/person/")
    assert b'id="chat-queue"' in web.get(f"/chat/{chat.pk}/").content


def test_another_customers_chat_page_transcript_and_files_are_404():
    chat = active()
    stranger = signed_in(CustomerFactory())
    for path in (f"/chat/{chat.pk}/", f"/chat/{chat.pk}/transcript/"):
        assert stranger.get(path).status_code == 404


def test_the_agent_panel_accepts_and_the_staff_page_prefills_the_case():
    agent = available_agent()
    staff = signed_in(agent, staff=True)
    chat = start(
        message="I sent 250 USDT on TRC20 and it never arrived", category="withdrawal-not-received"
    )
    services.chat_request_person(chat=chat, actor=chat.customer)
    panel = staff.get("/staff/chats/")
    assert f'id="chat-accept-{chat.pk}"'.encode() in panel.content
    accepted = staff.post(f"/staff/chats/{chat.pk}/accept/")
    assert accepted.url == f"/staff/chats/{chat.pk}/"
    page = staff.get(accepted.url)
    assert page.status_code == 200
    assert b'value="250"' in page.content and b'value="TRC20"' in page.content
    assert chat.customer.email.encode() in page.content
    refused = staff.post(
        f"/staff/chats/{chat.pk}/to-ticket/", {"category": "withdrawal-not-received"}
    )
    assert refused.status_code == 400
    filed = staff.post(f"/staff/chats/{chat.pk}/to-ticket/", {"category": "other", "amount": "250"})
    chat.refresh_from_db()
    assert chat.state == ChatState.TICKETED
    assert filed.url == f"/staff/tickets/{chat.ticket.reference}/"

    customer = signed_in(chat.customer)
    case_page = customer.get(f"/tickets/{chat.ticket.reference}/")
    assert b'id="case-chat"' in case_page.content
    transcript = customer.get(f"/chat/{chat.pk}/transcript/")
    assert b"250 USDT" in transcript.content
    assert b'id="chat-rating"' in customer.get(f"/chat/{chat.pk}/").content
    customer.post(f"/chat/{chat.pk}/rate/", {"outcome": 5, "service": 4})
    assert chat.__class__.objects.get(pk=chat.pk).rating.service == 4


def test_a_customer_cannot_open_the_staff_panel():
    assert signed_in(CustomerFactory()).get("/staff/chats/").status_code == 404
    agent = available_agent()
    assert signed_in(agent).get("/staff/chats/").status_code == 302  # the code step first


def test_the_workbench_links_the_chat_a_case_began_as_for_whoever_may_read_the_case():
    chat = active(category="withdrawal-not-received")
    services.chat_message_add(chat=chat, author=chat.agent, body="Hash checked", internal=True)
    ticket = services.chat_to_ticket(
        chat=chat,
        actor=chat.agent,
        category=category("other"),
        fields={},
    )
    colleague = AgentFactory()  # on every team: reads the case, never had the chat
    staff = signed_in(colleague, staff=True)
    workbench = staff.get(f"/staff/tickets/{ticket.reference}/")
    assert f'id="ticket-chat-{chat.pk}"'.encode() in workbench.content
    assert staff.get(f"/staff/chats/{chat.pk}/").status_code == 200
    read = staff.get(f"/api/v1/chats/{chat.pk}/messages/?after=0").json()
    assert "Hash checked" in [message["body"] for message in read["results"]]
    # An agent of no team reads neither the case nor the chat it began as.
    outsider = signed_in(AgentFactory(teams=[]), staff=True)
    assert outsider.get(f"/staff/tickets/{ticket.reference}/").status_code == 404
    assert outsider.get(f"/staff/chats/{chat.pk}/").status_code == 404
    assert outsider.get(f"/api/v1/chats/{chat.pk}/messages/").status_code == 404


def test_an_agent_passes_on_an_offer_from_the_panel():
    agent = available_agent()
    staff = signed_in(agent, staff=True)
    chat = start(message="My deposit is missing")
    services.chat_request_person(chat=chat, actor=chat.customer)
    panel = staff.get("/staff/chats/")
    assert f'id="chat-decline-{chat.pk}"'.encode() in panel.content
    passed = staff.post(f"/staff/chats/{chat.pk}/decline/")
    assert passed.url == "/staff/chats/"
    chat.refresh_from_db()
    assert chat.state == ChatState.WAITING and chat.agent is None
    assert f'id="chat-decline-{chat.pk}"'.encode() not in staff.get("/staff/chats/").content
    # No longer offered to them: the chat is not theirs to see.
    assert staff.post(f"/staff/chats/{chat.pk}/decline/").status_code == 404  # not theirs now
