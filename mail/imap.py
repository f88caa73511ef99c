"""An IMAP mailbox polled by the beat (production): new messages go to the one spool.

REDRESS_IMAP_URL names it: imaps://user:password@host[:port]/Folder (imap:// for a
server without TLS on a trusted network). Each unseen message is fetched without being
marked, spooled (committed), then flagged \\Seen; a poll that dies in between spools it
again next time, and the spool keeps one row for the same bytes.
"""

from __future__ import annotations

import contextlib
import imaplib
from urllib.parse import unquote, urlsplit

from django.conf import settings

from mail import inbound


def _connect(url: str) -> tuple[imaplib.IMAP4, str]:
    parts = urlsplit(url)
    if parts.scheme == "imaps":
        client = imaplib.IMAP4_SSL(parts.hostname, parts.port or 993, timeout=30)
    elif parts.scheme == "imap":
        client = imaplib.IMAP4(parts.hostname, parts.port or 143, timeout=30)
    else:
        raise ValueError(f"REDRESS_IMAP_URL must start with imaps:// or imap://, not {url!r}")
    client.login(unquote(parts.username or ""), unquote(parts.password or ""))
    return client, unquote(parts.path.lstrip("/")) or "INBOX"


def fetch(*, limit: int = 100) -> int:
    """Spool up to `limit` unseen messages; returns how many."""
    url = settings.REDRESS_IMAP_URL
    if not url:
        return 0
    client, folder = _connect(url)
    try:
        client.select(folder)
        _status, found = client.uid("search", None, "UNSEEN")
        uids = (found[0] or b"").split()[:limit]
        for uid in uids:
            _status, parts = client.uid("fetch", uid, "(BODY.PEEK[])")
            raw = next(part[1] for part in parts if isinstance(part, tuple))
            inbound.spool(raw, source="imap")
            client.uid("store", uid, "+FLAGS", "(\\Seen)")
        return len(uids)
    finally:
        # The server may close first: the messages are spooled and flagged already.
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
