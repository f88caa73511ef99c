import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from chat import services
from chat.models import Chat, ChatState
from tests.chat.helpers import active, available_agent, start
from tests.factories import CustomerFactory, png_upload

pytestmark = pytest.mark.django_db

SEED = "abandon ability able about above absent absorb abstract absurd abuse access accident"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_customer_starts_a_chat_and_reads_the_bot_answer():
    customer = CustomerFactory()
    api = client_for(customer)
    response = api.post("/api/v1/chats/", {"message": "Where is my deposit?"}, format="json")
    assert response.status_code == 201, response.content
    chat_id = response.json()["id"]
    assert response.json()["state"] == ChatState.BOT
    messages = api.get(f"/api/v1/chats/{chat_id}/messages/").json()
    assert [m["author_kind"] for m in messages["results"]] == ["customer", "bot"]
    assert messages["last_seq"] == 2
    assert api.get(f"/api/v1/chats/{chat_id}/messages/?after=2").json()["results"] == []

    queued = api.post(f"/api/v1/chats/{chat_id}/person/")
    assert queued.json()["state"] == ChatState.WAITING
    assert queued.json()["position"] == 1
    again = api.post("/api/v1/chats/", {"message": "Another"}, format="json")
    assert again.status_code == 409


def test_a_secret_is_refused_with_the_explanation_and_nothing_stored():
    api = client_for(CustomerFactory())
    response = api.post("/api/v1/chats/", {"message": SEED}, format="json")
    assert response.status_code == 400
    assert "recovery phrase" in response.json()["message"][0]
    assert not Chat.objects.exists()


def test_someone_elses_chat_is_a_404():
    chat = start()
    stranger = client_for(CustomerFactory())
    assert stranger.get(f"/api/v1/chats/{chat.pk}/messages/").status_code == 404
    assert stranger.post(f"/api/v1/chats/{chat.pk}/messages/", {"body": "hi"}).status_code == 404
    assert stranger.post(f"/api/v1/chats/{chat.pk}/end/").status_code == 404


def test_the_agent_accepts_writes_notes_and_the_customer_never_reads_them():
    agent = available_agent()
    chat = start()
    customer = client_for(chat.customer)
    customer.post(f"/api/v1/chats/{chat.pk}/person/")
    staff = client_for(agent)
    assert staff.post(f"/api/v1/chats/{chat.pk}/accept/").json()["state"] == ChatState.ACTIVE
    note = staff.post(
        f"/api/v1/chats/{chat.pk}/messages/", {"body": "VIP", "internal": True}, format="json"
    )
    assert note.status_code == 201
    reply = staff.post(f"/api/v1/chats/{chat.pk}/messages/", {"body": "Hello"}, format="json")
    assert reply.json()["author"] == services.staff_name(agent)
    seen = [m["body"] for m in customer.get(f"/api/v1/chats/{chat.pk}/messages/").json()["results"]]
    assert "Hello" in seen and "VIP" not in seen
    staff_seen = [
        m["body"] for m in staff.get(f"/api/v1/chats/{chat.pk}/messages/").json()["results"]
    ]
    assert "VIP" in staff_seen
    forged = customer.post(
        f"/api/v1/chats/{chat.pk}/messages/", {"body": "x", "internal": True}, format="json"
    )
    assert forged.status_code == 403


def test_files_go_through_the_evidence_rules():
    chat = active()
    api = client_for(chat.customer)
    sent = api.post(
        f"/api/v1/chats/{chat.pk}/messages/", {"file": png_upload()}, format="multipart"
    )
    assert sent.status_code == 201
    assert len(sent.json()["file"]["sha256"]) == 64
    assert api.get(sent.json()["file"]["url"]).status_code in (200, 302)


def test_to_ticket_and_rate_through_the_api():
    chat = active()
    staff = client_for(chat.agent)
    missing = staff.post(f"/api/v1/chats/{chat.pk}/to-ticket/", {}, format="json")
    assert missing.status_code == 400
    done = staff.post(f"/api/v1/chats/{chat.pk}/to-ticket/", {"category": "other"}, format="json")
    assert done.status_code == 201
    reference = done.json()["reference"]
    customer = client_for(chat.customer)
    assert customer.get(f"/api/v1/chats/{chat.pk}/").json()["ticket"] == reference
    rated = customer.post(
        f"/api/v1/chats/{chat.pk}/rate/", {"outcome": 4, "service": 5}, format="json"
    )
    assert rated.status_code == 201
    assert (
        customer.post(
            f"/api/v1/chats/{chat.pk}/rate/", {"outcome": 4, "service": 5}, format="json"
        ).status_code
        == 409
    )
    assert customer.get(f"/api/v1/tickets/{reference}/").status_code == 200


def test_availability_through_the_api():
    agent = available_agent(max_chats=2)
    api = client_for(agent)
    assert api.get("/api/v1/chat-availability/").json() == {
        "available": True,
        "max_chats": 2,
        "load": 0,
    }
    assert (
        api.post("/api/v1/chat-availability/", {"available": False}, format="json").json()[
            "available"
        ]
        is False
    )
    assert client_for(CustomerFactory()).get("/api/v1/chat-availability/").status_code == 403


def test_an_agent_declines_an_offer_through_the_api():
    first = available_agent()
    chat = start()
    client_for(chat.customer).post(f"/api/v1/chats/{chat.pk}/person/")
    second = available_agent()
    answer = client_for(first).post(f"/api/v1/chats/{chat.pk}/decline/")
    assert answer.status_code == 200
    chat.refresh_from_db()
    assert (chat.state, chat.agent_id) == (ChatState.OFFERED, second.pk)
    # The customer may not decline for an agent: a 403 with the reason, nothing changed.
    refused = client_for(chat.customer).post(f"/api/v1/chats/{chat.pk}/decline/")
    assert refused.status_code == 403 and "not offered to you" in refused.json()["detail"]
    chat.refresh_from_db()
    assert chat.agent_id == second.pk


def test_reading_and_sending_a_message_read_the_chat_alone():
    # Once per message sent and per message read: the chat's own row, no join to its
    # customer (a bare select_related() would join every non-null foreign key).
    chat = active()
    api = client_for(chat.customer)
    api.post(f"/api/v1/chats/{chat.pk}/messages/", {"body": "first"}, format="json")
    with CaptureQueriesContext(connection) as read:
        response = api.get(f"/api/v1/chats/{chat.pk}/messages/?after=0")
    assert response.status_code == 200
    with CaptureQueriesContext(connection) as sent:
        response = api.post(f"/api/v1/chats/{chat.pk}/messages/", {"body": "two"}, format="json")
    assert response.status_code == 201
    for queries in (read, sent):
        scope = next(q["sql"] for q in queries if q["sql"].startswith('SELECT "chat_chat"'))
        assert " JOIN " not in scope, scope
