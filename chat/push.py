"""Persist first, push second: what the sockets are told once a change has committed.

A push only says that something exists ("message 7 added", "you are 3rd"); a client reads
the thing itself from the REST API, which scopes it. So a push that is lost (the channel
layer is down, the client was offline) costs nothing but latency: the client asks
`messages/?after=N` when it reconnects, and polls now and then anyway.

Groups: each chat has one for its customer's sockets and one for staff's (internal notes
are announced only there), and each agent has one for their panel (offers).
"""

from __future__ import annotations

import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def customer_group(chat_id: int) -> str:
    return f"chat-{chat_id}-customer"


def staff_group(chat_id: int) -> str:
    return f"chat-{chat_id}-staff"


def agent_group(user_id: int) -> str:
    return f"agent-{user_id}"


def send_now(group: str, payload: dict) -> None:
    """Send to a group from synchronous code; a channel layer that is away loses only this."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "chat.push", "payload": payload})
    except Exception:  # the change is stored; the client catches up when it asks
        logger.warning("chat push to %s failed", group, exc_info=True)


def after_commit(group: str, payload: dict) -> None:
    transaction.on_commit(partial(send_now, group, payload))


def message_added(chat_id: int, seq: int, *, internal: bool) -> None:
    payload = {"type": "message", "seq": seq}
    after_commit(staff_group(chat_id), payload)
    if not internal:
        after_commit(customer_group(chat_id), payload)


def state_changed(chat_id: int, state: str, agent_id: int | None = None) -> None:
    payload = {"type": "state", "state": state}
    after_commit(customer_group(chat_id), payload)
    after_commit(staff_group(chat_id), payload)
    if agent_id is not None:
        after_commit(agent_group(agent_id), {"type": "panel"})


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

    for chat_id, position, estimate in waiting_positions():
        send_now(
            customer_group(chat_id),
            {"type": "queue", "position": position, "estimate_seconds": estimate},
        )
