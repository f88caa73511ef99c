"""Persist first, push second: what the sockets are told once a change has committed.

A push only says that something exists ("message 7 added", "you are 3rd"); a client reads
the thing itself from the REST API, which scopes it. So a push that is lost (the channel
layer is down, the client was offline) costs nothing but latency: the client asks
`messages/?after=N` when it reconnects, and polls now and then anyway.

Groups: each chat has one for its customer's sockets and one for staff's (internal notes
are announced only there), and each agent has one for their panel (offers).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def customer_group(chat_id: int) -> str:
    return f"chat-{chat_id}-customer"


def staff_group(chat_id: int) -> str:
    return f"chat-{chat_id}-staff"


def agent_group(user_id: int) -> str:
    return f"agent-{user_id}"


class _PushLoop:
    """One event loop per process, in a thread of its own, for pushes from synchronous code.

    `async_to_sync` outside an ASGI server (gunicorn's threads, Celery) runs each call in an
    event loop made for it, and the Redis channel layer keeps its connections per loop: every
    push opened and closed a Redis connection and a thread, and a message's two pushes were
    most of its POST's time. This loop lives as long as the process, so its connections do.
    Made on first use and again in a forked child, whose copy of the thread does not run.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def get(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._loop = asyncio.new_event_loop()
                self._pid = os.getpid()
                threading.Thread(
                    target=self._loop.run_forever, name="chat-push", daemon=True
                ).start()
            return self._loop


_push_loop = _PushLoop()


def send_now(group: str, payload: dict) -> None:
    """Send to a group from synchronous code; a channel layer that is away loses only this."""
    send_many([(group, payload)])


def send_many(pushes: list[tuple[str, dict]]) -> None:
    """Send each (group, payload) in turn from synchronous code, in one trip to the loop.

    With Redis the caller does not wait for it: the change is committed already, and a
    push that fails or comes late costs only latency (the client reads what it missed).
    """
    layer = get_channel_layer()
    if layer is None or not pushes:
        return

    async def send_all():
        for group, payload in pushes:
            await layer.group_send(group, {"type": "chat.push", "payload": payload})

    try:
        if isinstance(layer, InMemoryChannelLayer):
            # The demo's one process: its queues belong to the server's own loop.
            async_to_sync(send_all)()
        else:
            future = asyncio.run_coroutine_threadsafe(send_all(), _push_loop.get())
            future.add_done_callback(partial(_failed, pushes))
    except Exception:  # the change is stored; the client catches up when it asks
        _failed(pushes)


def _failed(pushes: list[tuple[str, dict]], future=None) -> None:
    """Log a push that failed: raised here, or in the loop (`future`, when it is done)."""
    error = True  # the exception being handled
    if future is not None:
        if future.cancelled() or future.exception() is None:
            return
        error = future.exception()
    logger.warning("chat push to %s failed", [group for group, _ in pushes], exc_info=error)


def after_commit(group: str, payload: dict) -> None:
    transaction.on_commit(partial(send_now, group, payload))


def message_added(chat_id: int, seq: int, *, internal: bool) -> None:
    payload = {"type": "message", "seq": seq}
    pushes = [(staff_group(chat_id), payload)]
    if not internal:
        pushes.append((customer_group(chat_id), payload))
    transaction.on_commit(partial(send_many, pushes))


def state_changed(chat_id: int, state: str, agent_id: int | None = None) -> None:
    payload = {"type": "state", "state": state}
    pushes = [(customer_group(chat_id), payload), (staff_group(chat_id), payload)]
    if agent_id is not None:
        pushes.append((agent_group(agent_id), {"type": "panel"}))
    transaction.on_commit(partial(send_many, pushes))


def read(chat_id: int, side: str, seq: int) -> None:
    """One side read up to `seq`: the other side's sockets show it."""
    payload = {"type": "read", "side": side, "seq": seq}
    send_now(staff_group(chat_id) if side == "customer" else customer_group(chat_id), payload)


def panel_changed(agent_id: int) -> None:
    after_commit(agent_group(agent_id), {"type": "panel"})


def queue_moved() -> None:
    """Every waiting customer's position may have changed: tell them after commit."""
    transaction.on_commit(_send_positions)


def _send_positions() -> None:
    from chat.selectors import waiting_positions

    send_many(
        [
            (
                customer_group(chat_id),
                {"type": "queue", "position": position, "estimate_seconds": estimate},
            )
            for chat_id, position, estimate in waiting_positions()
        ]
    )
