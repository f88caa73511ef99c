"""The live chat a case began as, in the case's file (escalation.case_file's sections).

The transcript is already the case's first message and the chat's files its evidence; what
the file lacks without this is the chat's own record: when it was queued, offered, accepted
and ended, who took it, its rating, and its audit trail. Each chat of the case adds
`chat/<id>.json` (that record and every event) and `chat/<id>.txt` (the conversation), as
the reader may see them: staff with the internal notes, a customer without them or their
events, and staff always by the name they work under, never an email.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from accounts.roles import is_staff_member
from chat.models import Chat, ChatEvent, ChatEventKind
from chat.services import staff_name, transcript_text
from escalation.case_file import json_bytes
from tickets.models import Ticket


def _by(chat: Chat, event: ChatEvent) -> str:
    if event.actor_id is None:
        return _("Redress")
    if event.actor_id == chat.customer_id:
        return _("Customer")
    return staff_name(event.actor)


def _record(chat: Chat, staff: bool) -> dict:
    events = chat.events.select_related("actor").order_by("created_at", "pk")
    if not staff:
        # A note's events, and those of a file sent with a note, name what the customer
        # never received.
        hidden = set(chat.messages.filter(internal=True).values_list("seq", flat=True))
        events = [
            e for e in events if e.kind != ChatEventKind.NOTE and e.data.get("seq") not in hidden
        ]
    rating = getattr(chat, "rating", None)
    return {
        "chat": chat.pk,
        "language": chat.language,
        "category": chat.category.code if chat.category else None,
        "started_at": chat.created_at,
        "queued_at": chat.queued_at,
        "accepted_at": chat.accepted_at,
        "ended_at": chat.ended_at,
        "agent": staff_name(chat.agent) if chat.agent else None,
        "rating": (
            {"outcome": rating.outcome, "service": rating.service, "comment": rating.comment}
            if rating
            else None
        ),
        "events": [
            {"at": e.created_at, "kind": e.kind, "by": _by(chat, e), "data": e.data} for e in events
        ],
    }


def chat_section(ticket: Ticket, user) -> dict[str, bytes]:
    staff = is_staff_member(user)
    files: dict[str, bytes] = {}
    chats = ticket.chats.select_related("agent", "category", "rating").order_by("created_at")
    for chat in chats:
        with translation.override(chat.language):
            files[f"chat/{chat.pk}.json"] = json_bytes(_record(chat, staff))
            files[f"chat/{chat.pk}.txt"] = transcript_text(chat, internal=staff).encode()
    return files
