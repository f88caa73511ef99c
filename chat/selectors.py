"""Every read of chats that pages, the API and the consumers share, scoped to the reader.

A customer reads their own chats; staff read the chats offered to or taken by them and
the chats that became cases they may read (the chat is part of the case), and admins
every chat. Another's chat is a 404 (DESIGN.md: never reveal that it exists).
Customers never read internal notes.
"""

from __future__ import annotations

from statistics import median

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts import roles
from accounts.models import User
from accounts.roles import is_staff_member
from chat.models import HELD_STATES, OPEN_STATES, Chat, ChatAgent, ChatMessage, ChatState
from tickets.selectors import tickets_visible_to

CUSTOMER, AGENT = "customer", "agent"
# A page of messages: a client that was away longer asks again with the last seq it got.
MESSAGES_PAGE = 200


def chats_visible_to(user: User) -> QuerySet[Chat]:
    """The chats a reader was part of (staff: offered to or taken by them)."""
    if not user.is_authenticated:
        return Chat.objects.none()
    if is_staff_member(user):
        if user.is_superuser or roles.has_role(user, roles.ADMIN):
            return Chat.objects.all()
        return Chat.objects.filter(agent=user)
    return Chat.objects.filter(customer=user)


CHAT_RELATED = ("customer", "agent", "category")


def chat_get_for_user(user: User, chat_id, *, related: tuple[str, ...] = CHAT_RELATED) -> Chat:
    """One chat the reader may see, or a 404: their own, or, for staff, the chat a case they
    may read began as (asked only when it is not theirs, by the case's key: one pk lookup,
    never the set of every case in their scope). `related=()` for a caller that needs only
    the chat's own columns (the message endpoints, once per message sent or read)."""
    try:
        pk = int(chat_id)
    except (TypeError, ValueError):
        raise Http404 from None
    chat = _with(chats_visible_to(user), related).filter(pk=pk).first()
    if chat is None and user.is_authenticated and is_staff_member(user):
        chat = _with(Chat.objects.all(), related).filter(pk=pk, ticket__isnull=False).first()
        if chat is not None and not tickets_visible_to(user).filter(pk=chat.ticket_id).exists():
            chat = None
    if chat is None:
        raise Http404
    return chat


def _with(chats: QuerySet[Chat], related: tuple[str, ...]) -> QuerySet[Chat]:
    # select_related() with no names would join every non-null foreign key (the customer,
    # with all of its columns): the chat's own columns are read alone.
    return chats.select_related(*related) if related else chats


def side_of(chat: Chat, user: User) -> str:
    """How `user` reads this chat they may see: as its customer, or as staff."""
    return CUSTOMER if user.pk == chat.customer_id else AGENT


def messages_for(chat: Chat, user: User, *, after: int = 0) -> list[ChatMessage]:
    """The messages after number `after` that `user` may read, oldest first (one page)."""
    messages = chat.messages.filter(seq__gt=after).select_related("author", "file")
    if side_of(chat, user) == CUSTOMER:
        messages = messages.filter(internal=False)
    return list(messages.order_by("seq")[:MESSAGES_PAGE])


def open_chat_of(customer: User) -> Chat | None:
    return (
        Chat.objects.filter(customer=customer, state__in=OPEN_STATES)
        .order_by("-created_at")
        .first()
    )


def _ahead(chat: Chat) -> Q:
    rank, queued = chat.queue_rank, chat.queued_at
    return (
        Q(queue_rank__lt=rank)
        | Q(queue_rank=rank, queued_at__lt=queued)
        | Q(queue_rank=rank, queued_at=queued, pk__lt=chat.pk)
    )


def queue_position(chat: Chat) -> int | None:
    """1 for the next chat to be offered; None for a chat not waiting."""
    if chat.state != ChatState.WAITING or chat.queued_at is None:
        return None
    return Chat.objects.filter(_ahead(chat), state=ChatState.WAITING).count() + 1


def estimated_wait_seconds() -> int | None:
    """The median of the latest waits (queued until accepted); None before there are any."""
    recent = list(
        Chat.objects.filter(accepted_at__isnull=False, queued_at__isnull=False)
        .order_by("-accepted_at")
        .values_list("queued_at", "accepted_at")[: settings.REDRESS_CHAT_WAIT_SAMPLE]
    )
    if not recent:
        return None
    return round(median((accepted - queued).total_seconds() for queued, accepted in recent))


def waiting_positions(limit: int = 200) -> list[tuple[int, int, int | None]]:
    """(chat id, position, estimated wait) of the first `limit` waiting chats, in one read.

    Bounded: a customer further back learns their place when their socket (re)connects."""
    estimate = estimated_wait_seconds()
    ids = (
        Chat.objects.filter(state=ChatState.WAITING)
        .order_by("queue_rank", "queued_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return [(chat_id, index, estimate) for index, chat_id in enumerate(ids, start=1)]


def agent_of(user: User) -> ChatAgent | None:
    return ChatAgent.objects.filter(user=user).first()


def agent_load(user: User) -> int:
    return Chat.objects.filter(agent=user, state__in=HELD_STATES).count()


def panel_chats(user: User) -> dict[str, list[Chat]]:
    """The staff panel: chats offered to `user` and chats they hold, oldest first."""
    chats = (
        Chat.objects.filter(agent=user, state__in=HELD_STATES)
        .select_related("customer", "category")
        .order_by("offered_at", "pk")
    )
    offered, active = [], []
    for chat in chats:
        (offered if chat.state == ChatState.OFFERED else active).append(chat)
    return {"offered": offered, "active": active}


def waiting_count() -> int:
    return Chat.objects.filter(state=ChatState.WAITING).count()
