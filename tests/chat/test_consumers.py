"""The chat's sockets with channels' WebsocketCommunicator, on the real ASGI stack."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from chat import services
from config.asgi import application
from tests.chat.helpers import active
from tests.factories import CustomerFactory, login_verified

pytestmark = pytest.mark.django_db(transaction=True)


def run_async(function, *args):
    """Run a test's async part in a thread and loop of its own. (`async_to_sync` refuses in a
    thread whose loop runs, and the browser tests' Playwright keeps one running in the main
    thread for the whole session: these failed whenever a browser test ran first.)"""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, function(*args)).result()


def session_cookie(user, *, staff=False) -> bytes:
    client = Client()
    if staff:
        login_verified(client, user)
    else:
        client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def communicator(chat_id, cookie: bytes | None, path=None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, path or f"/ws/chats/{chat_id}/", headers=headers)


async def connected(socket):
    ok, _ = await socket.connect()
    assert ok
    return socket


def hello_of(chat_id, cookie: bytes) -> dict:
    """What a new socket says first (its hello); the socket is closed after."""

    async def visit():
        socket = await connected(communicator(chat_id, cookie))
        hello = await socket.receive_json_from()
        await socket.disconnect()
        return hello

    return run_async(visit)


def test_a_foreign_user_is_refused_with_4403():
    chat = active()
    stranger = session_cookie(CustomerFactory())

    async def run():
        for cookie in (stranger, None):
            socket = communicator(chat.pk, cookie)
            await socket.connect()
            closed = await socket.receive_output(timeout=2)
            assert closed == {"type": "websocket.close", "code": 4403}

    run_async(run)


def test_a_staff_session_without_the_second_factor_is_refused():
    chat = active()
    cookie = session_cookie(chat.agent)  # password only, no code

    async def run():
        socket = communicator(chat.pk, cookie)
        await socket.connect()
        assert (await socket.receive_output(timeout=2))["code"] == 4403

    run_async(run)


def test_another_origin_is_refused():
    chat = active()
    cookie = session_cookie(chat.customer)

    async def run():
        socket = WebsocketCommunicator(
            application,
            f"/ws/chats/{chat.pk}/",
            headers=[(b"origin", b"https://evil.example"), (b"cookie", cookie)],
        )
        ok, _ = await socket.connect()
        assert not ok

    run_async(run)


def test_internal_notes_never_reach_the_customers_socket():
    chat = active()
    customer_cookie = session_cookie(chat.customer)
    agent_cookie = session_cookie(chat.agent, staff=True)

    async def run():
        customer = await connected(communicator(chat.pk, customer_cookie))
        agent = await connected(communicator(chat.pk, agent_cookie))
        assert (await customer.receive_json_from())["type"] == "state"
        assert (await agent.receive_json_from())["type"] == "state"

        await write(chat.agent, "A note", internal=True)
        await write(chat.agent, "Hello")
        staff_seen = [await agent.receive_json_from(), await agent.receive_json_from()]
        customer_seen = [await customer.receive_json_from()]
        assert await customer.receive_nothing(timeout=0.3)
        assert [p["seq"] for p in staff_seen] == [chat.last_seq + 1, chat.last_seq + 2]
        assert customer_seen == [{"type": "message", "seq": chat.last_seq + 2}]
        # Nothing a push carries is a body.
        assert all(set(p) == {"type", "seq"} for p in staff_seen + customer_seen)

        await customer.send_json_to({"type": "typing"})
        assert await agent.receive_json_from() == {"type": "typing", "side": "customer"}
        await customer.disconnect()
        await agent.disconnect()

    async def write(author, body, internal=False):
        from channels.db import database_sync_to_async

        await database_sync_to_async(services.chat_message_add)(
            chat=chat, author=author, body=body, internal=internal
        )

    run_async(run)


def test_a_reconnect_replays_exactly_what_was_missed():
    from rest_framework.test import APIClient

    chat = active()
    cookie = session_cookie(chat.customer)
    api = APIClient()
    api.force_authenticate(chat.customer)

    async def first_visit():
        socket = await connected(communicator(chat.pk, cookie))
        await socket.receive_json_from()
        await socket.disconnect()

    run_async(first_visit)
    seen = chat.last_seq
    # While away: the agent writes three messages and a note.
    for body in ("one", "two", "three"):
        services.chat_message_add(chat=chat, author=chat.agent, body=body)
    services.chat_message_add(chat=chat, author=chat.agent, body="note", internal=True)

    hello = hello_of(chat.pk, cookie)  # the reconnect
    assert hello["seq"] == seen + 4  # the latest number, to compare with the last seen
    missed = api.get(f"/api/v1/chats/{chat.pk}/messages/?after={seen}").json()
    assert [m["body"] for m in missed["results"]] == ["one", "two", "three"]
    assert [m["seq"] for m in missed["results"]] == [seen + 1, seen + 2, seen + 3]
    again = api.get(f"/api/v1/chats/{chat.pk}/messages/?after={missed['last_seq']}").json()
    assert again["results"] == []


def test_a_read_receipt_tells_the_other_side_and_moves_only_forward():
    chat = active()
    services.chat_message_add(chat=chat, author=chat.agent, body="one")
    services.chat_message_add(chat=chat, author=chat.agent, body="two")
    chat.refresh_from_db()
    last = chat.last_seq
    customer_cookie = session_cookie(chat.customer)
    agent_cookie = session_cookie(chat.agent, staff=True)

    async def run():
        customer = await connected(communicator(chat.pk, customer_cookie))
        agent = await connected(communicator(chat.pk, agent_cookie))
        await customer.receive_json_from()
        await agent.receive_json_from()
        await customer.send_json_to({"type": "read", "seq": last})
        assert await agent.receive_json_from() == {"type": "read", "side": "customer", "seq": last}
        # Backwards, past the last message, or not a number: nothing moves, nobody is told.
        for seq in (last - 1, last + 5, "all"):
            await customer.send_json_to({"type": "read", "seq": seq})
        assert await agent.receive_nothing(timeout=0.3)
        await customer.disconnect()
        await agent.disconnect()

    run_async(run)
    chat.refresh_from_db()
    assert chat.customer_read_seq == last
    assert chat.agent_read_seq == 0


def token_socket(chat_id, key: str) -> WebsocketCommunicator:
    """As a mobile app connects: its API token, no cookie and no Origin."""
    return WebsocketCommunicator(
        application,
        f"/ws/chats/{chat_id}/",
        headers=[(b"authorization", f"Token {key}".encode()), (b"host", b"127.0.0.1:8000")],
    )


def test_an_api_token_opens_the_socket_without_a_session():
    from accounts.tokens import token_issue, token_revoke

    chat = active()
    _, customer_key = token_issue(user=chat.customer)
    agent_token, agent_key = token_issue(user=chat.agent)  # staff get one only with the code
    stranger_key = token_issue(user=CustomerFactory())[1]

    async def opened(key):
        socket = token_socket(chat.pk, key)
        await socket.connect()
        first = await socket.receive_output(timeout=2)
        await socket.disconnect()
        return first

    for key in (customer_key, agent_key):
        hello = run_async(opened, key)
        assert hello["type"] == "websocket.send" and '"state"' in hello["text"]
    for key in (stranger_key, "not-a-token"):
        assert run_async(opened, key) == {"type": "websocket.close", "code": 4403}
    token_revoke(token=agent_token, actor=chat.agent)
    assert run_async(opened, agent_key) == {"type": "websocket.close", "code": 4403}


def test_without_a_token_a_socket_still_needs_the_sites_origin():
    chat = active()
    cookie = session_cookie(chat.customer)

    async def run():
        socket = WebsocketCommunicator(
            application, f"/ws/chats/{chat.pk}/", headers=[(b"cookie", cookie)]
        )
        ok, _ = await socket.connect()
        assert not ok

    run_async(run)


def test_the_hello_names_a_message_added_while_the_socket_was_joining(monkeypatch):
    from channels.db import database_sync_to_async

    from chat import consumers
    from chat.models import Chat

    chat = active()
    cookie = session_cookie(chat.customer)
    real = consumers._open_sync

    def open_then_a_message(scope, chat_id):
        opened = real(scope, chat_id)  # read before the socket joins the chat's pushes
        services.chat_message_add(
            chat=Chat.objects.get(pk=chat_id), author=chat.agent, body="meanwhile"
        )
        return opened

    monkeypatch.setattr(
        consumers, "_open", database_sync_to_async(open_then_a_message, thread_sensitive=False)
    )

    hello = hello_of(chat.pk, cookie)
    # The page reads only when the hello names a message it has not shown: this one counts.
    assert hello["type"] == "state" and hello["seq"] == chat.last_seq + 1
