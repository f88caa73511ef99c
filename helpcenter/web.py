"""What the help center's views and the filing page share: who is counting, what was read.

A visitor is a keyed hash (SECRET_KEY) of the session, or of the signed-in user, or of the
address and browser for a client with neither: counts stay once per person without
storing who they are. The articles a customer opened are kept in their session, so the
case they file afterwards can say what they read first.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from helpcenter import services

READ_KEY = "help_read"
READ_LIMIT = 20


def visitor(request, *, session: bool = True) -> str:
    """A stable, anonymous key for the person making the request."""
    if session and hasattr(request, "session"):
        if request.session.session_key is None:
            request.session.save()
        raw = f"s:{request.session.session_key}"
    elif getattr(request, "user", None) is not None and request.user.is_authenticated:
        raw = f"u:{request.user.pk}"
    else:
        meta = request.META
        raw = f"a:{meta.get('REMOTE_ADDR', '')}:{meta.get('HTTP_USER_AGENT', '')[:200]}"
    digest = hmac.new(settings.SECRET_KEY.encode(), raw.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def remember_read(request, article_id: int, *, from_suggestion: bool) -> None:
    """Keep the first read of each article (a reload writes nothing to the session)."""
    reads = request.session.get(READ_KEY, [])
    known = next((r for r in reads if r[0] == article_id), None)
    if known is not None and (known[1] or not from_suggestion):
        return
    reads = [r for r in reads if r[0] != article_id]
    reads.append([article_id, from_suggestion, timezone.now().isoformat()])
    request.session[READ_KEY] = reads[-READ_LIMIT:]


def reads(request) -> list[tuple[int, bool, datetime]]:
    """(article id, opened from a suggestion, when) of what this session read."""
    out = []
    for entry in request.session.get(READ_KEY, []):
        try:
            pk, suggested, when = int(entry[0]), bool(entry[1]), parse_datetime(entry[2])
        except (TypeError, ValueError, IndexError):
            continue
        if when is not None:
            out.append((pk, suggested, when))
    return out


def ticket_filed(request, ticket, *, shown: list[str]) -> None:
    """The filing page's call once a case is filed: what its customer read, and the
    suggestions they filed past; the session starts reading afresh for the next case."""
    services.ticket_filed_after_reading(
        ticket_id=ticket.pk, reads=reads(request), suggested_slugs=shown, visitor=visitor(request)
    )
    request.session.pop(READ_KEY, None)
