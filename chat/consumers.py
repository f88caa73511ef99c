"""The chat's WebSockets: they announce, they never carry what the REST API would not serve.

`/ws/chats/{id}/` is for the chat's customer and its agent (and admins); anyone else is
closed with 4403. The socket tells of new message numbers, typing, read state, queue
position and state changes; the messages themselves are read from the API, scoped there.
Staff need a session that passed the second factor, as on every staff page.

A mobile app, which has no session, sends its API token instead (`Authorization: Token
<key>`, read by the same rule as the API's, accounts.tokens): staff receive a token only
with their code, so a token counts as the second factor, as it does for the API.
"""

from __future__ import annotations

from types import SimpleNamespace

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from rest_framework.exceptions import AuthenticationFailed

from accounts.roles import is_staff_member
from accounts.tokens import ApiTokenAuthentication
from chat import push, selectors, services
from chat.models import Chat, ChatState

REFUSED = 4403


def _staff_verified(user, session) -> bool:
    """The session passed the second factor (what django-otp's middleware checks on pages)."""
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    if not persistent_id:
        return False
    device = Device.from_persistent_id(persistent_id)
    return device is not None and device.user_id == user.pk and device.confirmed


def token_key(scope) -> str | None:
    """The API token the handshake carries (`Authorization: Token <key>`), if any."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"authorization":
            keyword, _, key = value.decode("latin-1").partition(" ")
            named = keyword.lower() == ApiTokenAuthentication.keyword.lower()
            return key.strip() if named and key.strip() else None
    return None


def _reader(user, scope) -> bool:
    if not user or not user.is_authenticated or not user.is_active:
        return False
    if not is_staff_member(user) or scope.get("token"):
        return True
    return _staff_verified(user, scope.get("session"))


def _user(scope):
    """Who the token or the session names, checked as the API and a page check them (the
    token live, the session's password hash current)."""
    key = token_key(scope)
    if key is not None:
        try:
            scope["user"], scope["token"] = ApiTokenAuthentication().authenticate_credentials(key)
        except AuthenticationFailed:
            scope["user"] = AnonymousUser()
    else:
        scope["user"] = auth.get_user(SimpleNamespace(session=scope["session"]))
    return scope["user"]


def _open_sync(scope, chat_id):
    """(side, first pushes) for a reader of the chat, or None."""
    user = _user(scope)
    if not _reader(user, scope):
        return None
    try:
        chat = selectors.chat_get_for_user(user, chat_id, related=())  # its own columns do
    except Http404:
        return None
    side = selectors.side_of(chat, user)
    # What the other side has read so far, for the page to mark its own messages.
    read = chat.agent_read_seq if side == selectors.CUSTOMER else chat.customer_read_seq
    hello = [{"type": "state", "state": chat.state, "seq": chat.last_seq, "read": read}]
    if side == selectors.CUSTOMER and chat.state == ChatState.WAITING:
        hello.append(
            {
                "type": "queue",
                "position": selectors.queue_position(chat),
                "estimate_seconds": selectors.estimated_wait_seconds(),
            }
        )
    return side, hello


def _panel_allowed_sync(scope) -> bool:
    user = _user(scope)
    return _reader(user, scope) and is_staff_member(user)


def _last_seq_sync(chat_id) -> int:
    return Chat.objects.filter(pk=chat_id).values_list("last_seq", flat=True).first() or 0


def _mark_read_sync(user, chat_id, side, seq):
    services.chat_mark_read(chat_id=chat_id, reader=user, side=side, seq=seq)


# Outside a request, thread-sensitive calls share one thread per process: every socket's
# connect and read receipt would queue behind every other's (500 sockets fell to about
# 12 messages a second with the server mostly idle). These touch nothing thread-bound, so
# they run on the executor's pool of threads, each thread with its database connection.
# The user is read in the connect's own call, not by channels' AuthMiddleware, which reads
# it thread-sensitively and in a call of its own: one trip per connect, not two.
_open = database_sync_to_async(_open_sync, thread_sensitive=False)
_panel_allowed = database_sync_to_async(_panel_allowed_sync, thread_sensitive=False)
_mark_read = database_sync_to_async(_mark_read_sync, thread_sensitive=False)
_last_seq = database_sync_to_async(_last_seq_sync, thread_sensitive=False)


class _Consumer(AsyncJsonWebsocketConsumer):
    async def dispatch(self, message):
        # channels' dispatch first closes the old database connections of the one
        # thread-sensitive thread, for every event: every push to every socket queued for
        # that thread (a hop per event, one thread per process). These consumers never use
        # it; their database calls run on the pool and close their own connections.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


class ChatConsumer(_Consumer):
    async def connect(self):
        self.group = None
        self.chat_id = self.scope["url_route"]["kwargs"]["chat_id"]
        opened = await _open(self.scope, self.chat_id)
        # Accept, then close with our code: a browser sees 4403 and stops reconnecting.
        await self.accept()
        if opened is None:
            await self.close(code=REFUSED)
            return
        self.side, hello = opened
        self.group = (
            push.customer_group(self.chat_id)
            if self.side == selectors.CUSTOMER
            else push.staff_group(self.chat_id)
        )
        await self.channel_layer.group_add(self.group, self.channel_name)
        # The hello's number is the newest message once this socket hears every push: a
        # client that has shown it reads nothing (after a dropped connection, usually so),
        # and one added between the first read and the join is not missed.
        hello[0]["seq"] = max(hello[0]["seq"], await _last_seq(self.chat_id))
        for payload in hello:
            await self.send_json(payload)

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if not self.group or not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "typing":
            # Ephemeral: who is typing, never what.
            other = (
                push.staff_group(self.chat_id)
                if self.side == selectors.CUSTOMER
                else push.customer_group(self.chat_id)
            )
            await self.channel_layer.group_send(
                other, {"type": "chat.push", "payload": {"type": "typing", "side": self.side}}
            )
        elif kind == "read" and isinstance(content.get("seq"), int):
            await _mark_read(self.scope["user"], self.chat_id, self.side, content["seq"])

    async def chat_push(self, event):
        await self.send_json(event["payload"])


class PanelConsumer(_Consumer):
    """The agent's chat panel: told when a chat is offered to them or their chats change."""

    async def connect(self):
        self.group = None
        allowed = await _panel_allowed(self.scope)
        await self.accept()
        if not allowed:
            await self.close(code=REFUSED)
            return
        self.group = push.agent_group(self.scope["user"].pk)
        await self.channel_layer.group_add(self.group, self.channel_name)

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def chat_push(self, event):
        await self.send_json(event["payload"])
