"""Who has a case open on the workbench, so two agents do not answer the same customer at once.

Each open workbench sends a heartbeat every 20 seconds (`REDRESS_PRESENCE_HEARTBEAT_SECONDS`). The shared cache (Redis in
production, so every web process sees the same) holds one entry per ticket: viewer id ->
(name, last seen). An entry older than the TTL no longer counts, and the whole key expires
when nobody has beaten for a TTL. Two heartbeats at the same instant may overwrite each
other's entry; the next beat puts it back, which is good enough for a hint.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from accounts.models import User

PRESENCE_TTL = 60  # seconds without a heartbeat before a viewer stops counting


def heartbeat_seconds() -> int:
    """How often an open workbench beats (and looks for messages written since it opened)."""
    return settings.REDRESS_PRESENCE_HEARTBEAT_SECONDS


def _key(ticket_id: int) -> str:
    return f"redress:presence:ticket:{ticket_id}"


def presence_heartbeat(*, ticket_id: int, user: User, now: float | None = None) -> list[str]:
    """Record that `user` is viewing the case; return the names of the others viewing it."""
    now = time.time() if now is None else now
    key = _key(ticket_id)
    viewers = {
        viewer: (name, seen)
        for viewer, (name, seen) in (cache.get(key) or {}).items()
        if now - seen < PRESENCE_TTL
    }
    viewers[user.pk] = (user.display_name, now)
    cache.set(key, viewers, timeout=PRESENCE_TTL)
    return sorted(name for viewer, (name, _seen) in viewers.items() if viewer != user.pk)
