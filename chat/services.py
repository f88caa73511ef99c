"""Every write to a chat: start, the bot, the queue and its offers, messages, the end, the
rating, and the turn into a case.

Views, the API, the consumers and the beat task all call these. Each is one transaction
that locks the chat row, numbers a new message under that lock (`Chat.last_seq`), writes
its audit event, and announces what changed only after commit (chat/push.py).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import User
from accounts.roles import is_staff_member
from chat import prefill, push
from chat.models import (
    HELD_STATES,
    OPEN_STATES,
    AuthorKind,
    Chat,
    ChatAgent,
    ChatEvent,
    ChatEventKind,
    ChatFile,
    ChatMessage,
    ChatRating,
    ChatState,
    QueueRank,
)
from evidence.files import CheckedEvidence, check_files
from evidence.secret_guard import refuse_secrets
from helpcenter.models import content_language
from helpcenter.search import search_articles
from helpcenter.selectors import article_path
from sla.models import Priority
from tickets import services as tickets
from tickets.exceptions import InvalidTransition, NotAllowed
from tickets.models import Category, Channel, Ticket

BOT_ARTICLES = 3
# Chats the sweep turns into cases per run; the next run takes the rest.
SWEEP_BATCH = 50
_FALLBACK_CATEGORY = "other"


def staff_name(person: User | None) -> str:
    """How staff read to a customer: never by an email address (tickets.labels' rule)."""
    name = (person.full_name if person else "").strip()
    return name if name and "@" not in name else _("Support team")


def _record(chat: Chat | None, actor: User | None, kind: str, **data) -> ChatEvent:
    return ChatEvent.objects.create(chat=chat, actor=actor, kind=kind, data=data)


def _lock(chat: Chat | int) -> Chat:
    pk = chat.pk if isinstance(chat, Chat) else chat
    return Chat.objects.select_for_update(of=("self",)).select_related("customer").get(pk=pk)


def _add(
    chat: Chat,
    *,
    author: User | None,
    kind: str,
    body: str = "",
    internal: bool = False,
    data: dict | None = None,
) -> ChatMessage:
    """A message numbered after the locked chat's last one; announced after commit."""
    chat.last_seq += 1
    message = ChatMessage.objects.create(
        chat=chat,
        seq=chat.last_seq,
        author=author,
        author_kind=kind,
        body=body,
        internal=internal,
        data=data or {},
    )
    chat.save(update_fields=["last_seq", "updated_at"])
    push.message_added(chat.pk, message.seq, internal=internal)
    return message


def _side(chat: Chat, user: User) -> str:
    if user.pk == chat.customer_id:
        return AuthorKind.CUSTOMER
    if chat.agent_id is not None and user.pk == chat.agent_id and is_staff_member(user):
        return AuthorKind.AGENT
    raise NotAllowed(_("You may not act on this chat."))


def _require_open(chat: Chat) -> None:
    if chat.state not in OPEN_STATES:
        raise InvalidTransition(_("This chat has ended."))


def _customer_language(customer: User) -> str:
    try:
        return customer.customer_profile.preferred_language or "en"
    except ObjectDoesNotExist:
        return "en"


def _queue_rank(category: Category | None) -> int:
    # An urgent category (a compromised account) goes to the front of the queue.
    if category is not None and category.default_priority == Priority.URGENT:
        return QueueRank.URGENT
    return QueueRank.NORMAL


# --- the customer's side -------------------------------------------------------------


def _clean_body(body: str, field: str = "message") -> str:
    body = (body or "").strip()
    # Checked before anything is stored or shown: the same explanation as on cases.
    refuse_secrets({field: body})
    return body


@transaction.atomic
def chat_start(
    *, customer: User, message: str, category: Category | None = None, language: str = ""
) -> Chat:
    """Open a chat with its first message; the bot answers it from the help center."""
    if is_staff_member(customer):
        raise NotAllowed(_("Staff cannot start a chat as a customer."))
    if not customer.email_verified:
        raise NotAllowed(
            _("Confirm your email address first: follow the link we mailed you at sign-up.")
        )
    body = _clean_body(message)
    if not body:
        raise ValidationError({"message": _("Write your question.")}, code="required")
    if category is not None and not category.is_active:
        raise ValidationError({"category": _("This category is no longer in use.")})
    # One open chat at a time: a second tab or device joins the first.
    if Chat.objects.filter(customer=customer, state__in=OPEN_STATES).exists():
        raise InvalidTransition(_("You already have an open chat."))
    chat = Chat.objects.create(
        customer=customer,
        category=category,
        language=language or _customer_language(customer),
        queue_rank=_queue_rank(category),
    )
    _record(chat, customer, ChatEventKind.STARTED, category=category.code if category else None)
    _add(chat, author=customer, kind=AuthorKind.CUSTOMER, body=body)
    _bot_answer(chat, body)
    return chat


def _bot_answer(chat: Chat, question: str) -> ChatMessage:
    """The help center's best articles for the question, with "did this solve it?"."""
    language = content_language(chat.language)
    hits = search_articles(question, language=language, limit=BOT_ARTICLES).hits
    articles = [
        {
            "slug": hit.article.slug,
            "title": hit.article.title_in(language),
            "url": article_path(hit.article, language),
        }
        for hit in hits
    ]
    with translation.override(chat.language):
        if articles:
            body = _("These help articles may answer your question. Did this solve it?")
        else:
            body = _(
                "I found nothing in the help center about this. "
                "Ask in other words, or talk to a person."
            )
    _record(chat, None, ChatEventKind.BOT_ANSWERED, articles=[a["slug"] for a in articles])
    return _add(
        chat,
        author=None,
        kind=AuthorKind.BOT,
        body=body,
        data={"articles": articles, "ask_solved": bool(articles)},
    )


def chat_request_person(*, chat: Chat, actor: User) -> Chat:
    """ "Talk to a person": the chat joins the queue; an available agent is offered it."""
    with transaction.atomic():
        chat = _lock(chat)
        if _side(chat, actor) != AuthorKind.CUSTOMER:
            raise NotAllowed(_("Only the customer asks for a person."))
        _require_open(chat)
        if chat.state != ChatState.BOT:
            return chat  # already queued or with an agent: asking again changes nothing
        now = timezone.now()
        chat.state, chat.queued_at = ChatState.WAITING, now
        chat.save(update_fields=["state", "queued_at", "updated_at"])
        _record(chat, actor, ChatEventKind.QUEUED, queue_rank=chat.queue_rank)
        with translation.override(chat.language):
            note = _("We are finding a person for you. You can keep writing meanwhile.")
        _add(chat, author=None, kind=AuthorKind.SYSTEM, body=note)
        push.state_changed(chat.pk, chat.state)
        push.queue_moved()
    chat_offer_next()
    return chat


@transaction.atomic
def chat_message_add(
    *,
    chat: Chat,
    author: User,
    body: str = "",
    internal: bool = False,
    file: UploadedFile | None = None,
) -> ChatMessage:
    """A message, an agent's internal note, or a file, in one transaction.

    The customer's text passes the secret guard and every file the evidence rules before
    anything is stored: a refusal stores nothing and says why.
    """
    chat = _lock(chat)
    side = _side(chat, author)
    _require_open(chat)
    if side == AuthorKind.CUSTOMER:
        if internal:
            raise NotAllowed(_("Only staff can write internal notes."))
        body = _clean_body(body, "body")
    else:
        if chat.state != ChatState.ACTIVE:
            raise InvalidTransition(_("Accept the chat before writing in it."))
        body = (body or "").strip()
    checked = check_files([file] if file is not None else [], field="file")
    if not body and not checked:
        raise ValidationError({"body": _("Write a message or add a file.")}, code="required")
    message = _add(chat, author=author, kind=side, body=body, internal=internal)
    _record(
        chat,
        author,
        ChatEventKind.NOTE if internal else ChatEventKind.MESSAGE,
        seq=message.seq,
    )
    # The 201 shows the message with its file: known here, so not read back.
    ChatMessage.file.related.set_cached_value(message, None)
    for item in checked:
        stored = _store_file(chat, message, item)
        ChatMessage.file.related.set_cached_value(message, stored)
        _record(
            chat,
            author,
            ChatEventKind.FILE,
            seq=message.seq,
            file=str(stored.pk),
            name=item.original_name,
            sha256=item.sha256,
            received_sha256=item.received_sha256,
            size=item.size,
        )
    if side == AuthorKind.CUSTOMER and chat.state == ChatState.BOT and body:
        _bot_answer(chat, body)
    return message


def _store_file(chat: Chat, message: ChatMessage, item: CheckedEvidence) -> ChatFile:
    stored = ChatFile(
        chat=chat,
        message=message,
        original_name=item.original_name,
        content_type=item.content_type,
        size=item.size,
        sha256=item.sha256,
        received_sha256=item.received_sha256,
        received_size=item.received_size,
    )
    # A generated name: the customer's file name never reaches the filesystem.
    stored.file.save(
        f"chat/{chat.created_at:%Y/%m}/{stored.pk.hex}{item.extension}",
        ContentFile(item.content),
        save=False,
    )
    stored.save()
    return stored


def chat_mark_read(*, chat_id: int, reader: User, side: str, seq: int) -> bool:
    """`reader`, on `side` of the chat, has seen the messages up to `seq`; the other side is
    told. Whether that moved the mark (no audit: it is not a change of the chat, and would be
    one event per message).

    One UPDATE, sent with every message a socket reads, whose conditions are the rules: the
    reader is the chat's customer or its agent now, the mark only moves forward, and only to
    a message that exists. Anything else changes nothing.
    """
    if side == AuthorKind.CUSTOMER:
        column, owner = "customer_read_seq", Q(customer=reader)
    else:
        column, owner = "agent_read_seq", Q(agent=reader)
    seq = int(seq)
    updated = Chat.objects.filter(
        owner, pk=chat_id, last_seq__gte=seq, **{f"{column}__lt": seq}
    ).update(**{column: seq})
    if updated:
        push.read(chat_id, "customer" if side == AuthorKind.CUSTOMER else "agent", seq)
    return bool(updated)


def chat_end(*, chat: Chat, actor: User, solved: bool = False) -> Chat:
    """The customer or the agent ends the chat; the customer is asked for a rating."""
    with transaction.atomic():
        chat = _lock(chat)
        side = _side(chat, actor)
        _require_open(chat)
        previous_agent = chat.agent_id
        chat.state, chat.ended_at = ChatState.ENDED, timezone.now()
        chat.save(update_fields=["state", "ended_at", "updated_at"])
        _record(chat, actor, ChatEventKind.ENDED, by=side, solved=solved)
        with translation.override(chat.language):
            note = _("The chat has ended.")
        _add(chat, author=None, kind=AuthorKind.SYSTEM, body=note)
        push.state_changed(chat.pk, chat.state, previous_agent)
        push.queue_moved()
    if previous_agent is not None:
        chat_offer_next()  # the agent has room for the next one
    return chat


@transaction.atomic
def chat_rate(
    *, chat: Chat, actor: User, outcome: int, service: int, comment: str = ""
) -> ChatRating:
    """The customer's rating of an ended chat: outcome and service 1 to 5, once."""
    chat = _lock(chat)
    if _side(chat, actor) != AuthorKind.CUSTOMER:
        raise NotAllowed(_("Only the customer rates the chat."))
    if chat.state not in (ChatState.ENDED, ChatState.TICKETED):
        raise InvalidTransition(_("A chat is rated once it has ended."))
    if ChatRating.objects.filter(chat=chat).exists():
        raise InvalidTransition(_("You have rated this chat already. Thank you."))
    errors = {}
    scores = {}
    for name, value in (("outcome", outcome), ("service", service)):
        try:
            scores[name] = int(value)
        except (TypeError, ValueError):
            scores[name] = 0
        if not 1 <= scores[name] <= 5:
            errors[name] = _("Choose from 1 to 5.")
    if errors:
        raise ValidationError(errors)
    comment = (comment or "").strip()
    refuse_secrets({"comment": comment})
    rating = ChatRating.objects.create(chat=chat, comment=comment[:2000], **scores)
    _record(chat, actor, ChatEventKind.RATED, **scores, commented=bool(comment))
    return rating


# --- agents and the queue ------------------------------------------------------------


def is_chat_agent(user: User) -> bool:
    return user.is_active and (
        roles.has_role(user, roles.AGENT) or roles.has_role(user, roles.ADMIN)
    )


def chat_availability_set(*, agent: User, available: bool) -> ChatAgent:
    """An agent sets themselves available (offered chats up to their limit) or away."""
    if not is_chat_agent(agent):
        raise NotAllowed(_("Only agents take chats."))
    with transaction.atomic():
        record, _created = ChatAgent.objects.select_for_update().get_or_create(user=agent)
        if record.available != available:
            record.available = available
            record.save(update_fields=["available", "changed_at"])
            _record(None, agent, ChatEventKind.AVAILABILITY, available=available)
            push.panel_changed(agent.pk)
    if available:
        chat_offer_next()
    return record


@dataclass(order=True)
class _Agent:
    load: int
    last_offered: datetime
    pk: int
    record: ChatAgent = field(compare=False)


_NEVER = datetime(2000, 1, 1, tzinfo=UTC)


def chat_offer_next(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> list[int]:
    """Offer waiting chats, in queue order, to available agents under their limit, least
    busy first (then whoever was offered one longest ago). Returns the chats offered.

    Set-based and safe to run in any number of processes at once: the agents' rows and the
    chats' rows are locked with SKIP LOCKED, so two runs never offer one chat twice nor
    push one agent past their limit (a run that finds the agents taken offers nothing).
    """
    now = now or timezone.now()
    with transaction.atomic():
        agents = list(
            ChatAgent.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(available=True, user__is_active=True)
            .order_by("pk")
        )
        if not agents:
            return []
        loads = dict(
            Chat.objects.filter(agent_id__in=[a.pk for a in agents], state__in=HELD_STATES)
            .values_list("agent_id")
            .annotate(n=Count("id"))
            .values_list("agent_id", "n")
        )
        heap = [
            _Agent(loads.get(a.pk, 0), a.last_offered_at or _NEVER, a.pk, a)
            for a in agents
            if loads.get(a.pk, 0) < a.max_chats
        ]
        room = sum(a.record.max_chats - a.load for a in heap)
        if not heap or room <= 0:
            return []
        heapq.heapify(heap)
        chats = list(
            Chat.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state=ChatState.WAITING)
            .order_by("queue_rank", "queued_at", "pk")[: min(batch, room)]
        )
        declined = _declined(chats)
        offered, events = [], []
        for chat in chats:
            agent = _next_agent(heap, declined.get(chat.pk, set()))
            if agent is None:
                continue
            chat.state, chat.agent_id, chat.offered_at = ChatState.OFFERED, agent.pk, now
            agent.record.last_offered_at = now
            agent.load += 1
            agent.last_offered = now
            if agent.load < agent.record.max_chats:
                heapq.heappush(heap, agent)
            offered.append(chat)
            events.append(
                ChatEvent(
                    chat=chat,
                    kind=ChatEventKind.OFFERED,
                    data={"agent": agent.pk, "load": agent.load},
                )
            )
        if not offered:
            return []
        Chat.objects.bulk_update(offered, ["state", "agent", "offered_at"])
        ChatAgent.objects.bulk_update(
            [a for a in agents if a.last_offered_at == now], ["last_offered_at"]
        )
        ChatEvent.objects.bulk_create(events)
        for chat in offered:
            push.state_changed(chat.pk, chat.state, chat.agent_id)
        push.queue_moved()
    return [chat.pk for chat in offered]


def _declined(chats: list[Chat]) -> dict[int, set[int]]:
    """Who declined each of these chats: it is not offered to them again."""
    pairs = ChatEvent.objects.filter(chat__in=chats, kind=ChatEventKind.DECLINED).values_list(
        "chat_id", "data__agent"
    )
    found: dict[int, set[int]] = {}
    for chat_id, agent_id in pairs:
        found.setdefault(chat_id, set()).add(agent_id)
    return found


def _next_agent(heap: list[_Agent], excluded: set[int]) -> _Agent | None:
    """The least busy agent not in `excluded`, taken off the heap (the others stay)."""
    passed, chosen = [], None
    while heap:
        candidate = heapq.heappop(heap)
        if candidate.pk not in excluded:
            chosen = candidate
            break
        passed.append(candidate)
    for agent in passed:
        heapq.heappush(heap, agent)
    return chosen


def _require_offered_to(chat: Chat, actor: User) -> None:
    if chat.agent_id != actor.pk or not is_staff_member(actor):
        raise NotAllowed(_("This chat was not offered to you."))


def _back_to_queue(chat: Chat) -> None:
    """An offer undone: waiting again, in the place its `queued_at` keeps."""
    chat.state, chat.agent_id, chat.offered_at = ChatState.WAITING, None, None


def chat_decline(*, chat: Chat, actor: User) -> Chat:
    """The agent passes on the chat offered to them: it goes back to the queue in its place,
    and is offered to someone else (never again to them). They stay available."""
    with transaction.atomic():
        chat = _lock(chat)
        _require_offered_to(chat, actor)
        if chat.state != ChatState.OFFERED:
            raise InvalidTransition(_("This chat is no longer offered to you."))
        _back_to_queue(chat)
        chat.save(update_fields=["state", "agent", "offered_at", "updated_at"])
        _record(chat, actor, ChatEventKind.DECLINED, agent=actor.pk)
        push.state_changed(chat.pk, chat.state, actor.pk)
    chat_offer_next()  # to the next agent with room, if there is one
    return chat


def chat_accept(*, chat: Chat, actor: User) -> Chat:
    """The agent takes the chat offered to them; the customer sees who joined."""
    with transaction.atomic():
        chat = _lock(chat)
        _require_offered_to(chat, actor)
        if chat.state == ChatState.ACTIVE:
            return chat
        if chat.state != ChatState.OFFERED:
            raise InvalidTransition(_("This chat is no longer offered to you."))
        now = timezone.now()
        chat.state, chat.accepted_at = ChatState.ACTIVE, now
        chat.save(update_fields=["state", "accepted_at", "updated_at"])
        waited = (now - chat.queued_at).total_seconds() if chat.queued_at else None
        _record(chat, actor, ChatEventKind.ACCEPTED, waited_seconds=waited)
        with translation.override(chat.language):
            note = _("%(name)s joined the chat.") % {"name": staff_name(actor)}
        _add(chat, author=None, kind=AuthorKind.SYSTEM, body=note)
        push.state_changed(chat.pk, chat.state, actor.pk)
    return chat


def _expire_offers(now: datetime) -> list[int]:
    """Offers not accepted in time go back to the queue, in their place; the agent who let
    them lapse is set away (they are not at their desk)."""
    cutoff = now - timedelta(seconds=settings.REDRESS_CHAT_OFFER_SECONDS)
    with transaction.atomic():
        lapsed = list(
            Chat.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state=ChatState.OFFERED, offered_at__lte=cutoff)
            .order_by("pk")[:SWEEP_BATCH]
        )
        if not lapsed:
            return []
        agents = {chat.agent_id for chat in lapsed}
        ChatEvent.objects.bulk_create(
            ChatEvent(chat=chat, kind=ChatEventKind.OFFER_EXPIRED, data={"agent": chat.agent_id})
            for chat in lapsed
        )
        for chat in lapsed:
            _back_to_queue(chat)
        Chat.objects.bulk_update(lapsed, ["state", "agent", "offered_at"])
        away = ChatAgent.objects.filter(pk__in=agents, available=True)
        ChatEvent.objects.bulk_create(
            ChatEvent(actor_id=pk, kind=ChatEventKind.AVAILABILITY, data={"available": False})
            for pk in away.values_list("pk", flat=True)
        )
        away.update(available=False)
        for pk in agents:
            push.panel_changed(pk)
        for chat in lapsed:
            push.state_changed(chat.pk, chat.state)
    return [chat.pk for chat in lapsed]


# --- into a case ---------------------------------------------------------------------


def transcript_text(chat: Chat, *, internal: bool = False) -> str:
    """The conversation as plain text, one block per message (internal notes only if asked)."""
    lines = []
    messages = chat.messages.select_related("author", "file").order_by("seq")
    if not internal:
        messages = messages.filter(internal=False)
    with translation.override(chat.language):
        names = {
            AuthorKind.CUSTOMER: _("Customer"),
            AuthorKind.BOT: _("Assistant"),
            AuthorKind.SYSTEM: _("Redress"),
        }
        for message in messages:
            who = (
                staff_name(message.author)
                if message.author_kind == AuthorKind.AGENT
                else names.get(message.author_kind, "")
            )
            if message.internal:
                who = _("%(name)s (internal note)") % {"name": who}
            text = message.body
            for article in message.data.get("articles", []):
                text += f"\n- {article['title']}: {settings.SITE_URL}{article['url']}"
            stored = getattr(message, "file", None)  # None: no file (the reverse one-to-one)
            if stored is not None:
                text += "\n" + _("File: %(name)s (SHA-256 %(sha256)s)") % {
                    "name": stored.original_name,
                    "sha256": stored.sha256,
                }
            lines.append(f"[{message.created_at:%Y-%m-%d %H:%M:%S} UTC] {who}:\n{text.strip()}")
    return "\n\n".join(lines)


def prefilled_fields(chat: Chat, category: Category | None) -> dict[str, str]:
    """The category's evidence fields found in the customer's messages and valid as found."""
    texts = chat.messages.filter(author_kind=AuthorKind.CUSTOMER, internal=False).values_list(
        "body", flat=True
    )
    return prefill.checked_fields(prefill.candidates(texts), category)


def _subject(chat: Chat) -> str:
    first = chat.messages.filter(author_kind=AuthorKind.CUSTOMER).order_by("seq").first()
    text = " ".join((first.body if first else "").split())
    with translation.override(chat.language):
        prefix = _("Live chat")
    return f"{prefix}: {text}"[:120] if text else prefix


def _file_case(chat: Chat, *, filed_by: User, category: Category, fields: dict) -> Ticket:
    """The case from the locked chat: its transcript is the first message, its files the
    evidence (with the hashes they were received with), the SLA starts at filing."""
    ticket = tickets.ticket_file(
        customer=chat.customer,
        filed_by=filed_by,
        category=category,
        subject=_subject(chat),
        description=transcript_text(chat),
        fields=fields,
        channel=Channel.CHAT,
        # The customer chose to talk, not to file a duplicate: staff merge if it is one.
        allow_duplicate=True,
    )
    files = list(chat.files.filter(message__internal=False).order_by("created_at"))
    if files:
        tickets.check_room(ticket, len(files), "files")
        checked = []
        for stored in files:
            with stored.file.open("rb") as handle:
                content = handle.read()
            checked.append(
                CheckedEvidence(
                    content=content,
                    content_type=stored.content_type,
                    extension="." + stored.file.name.rsplit(".", 1)[-1],
                    sha256=stored.sha256,
                    size=stored.size,
                    original_name=stored.original_name,
                    received_sha256=stored.received_sha256,
                    received_size=stored.received_size,
                )
            )
        tickets.store_evidence(ticket, chat.customer, checked)
    return ticket


def _ticketed(chat: Chat, ticket: Ticket, actor: User | None, *, automatic: bool) -> None:
    previous_agent = chat.agent_id
    chat.state, chat.ticket, chat.ended_at = ChatState.TICKETED, ticket, timezone.now()
    chat.save(update_fields=["state", "ticket", "ended_at", "updated_at"])
    _record(chat, actor, ChatEventKind.TICKETED, reference=ticket.reference, automatic=automatic)
    with translation.override(chat.language):
        if automatic:
            note = _(
                "Nobody could take your chat in time, so it is now case %(reference)s. "
                "We will answer there; you find it under My cases."
            ) % {"reference": ticket.reference}
        else:
            note = _(
                "Your chat is now case %(reference)s. We will answer there; you find it "
                "under My cases."
            ) % {"reference": ticket.reference}
    _add(chat, author=None, kind=AuthorKind.SYSTEM, body=note, data={"reference": ticket.reference})
    push.state_changed(chat.pk, chat.state, previous_agent)


def chat_to_ticket(
    *, chat: Chat, actor: User, category: Category, fields: dict | None = None
) -> Ticket:
    """The agent turns the chat into a case in the category they chose, with the evidence
    fields as they confirmed them (checked as the filing form checks them)."""
    with transaction.atomic():
        chat = _lock(chat)
        if _side(chat, actor) != AuthorKind.AGENT:
            raise NotAllowed(_("Only the chat's agent turns it into a case."))
        if chat.state != ChatState.ACTIVE:
            raise InvalidTransition(_("Only an active chat can be turned into a case."))
        ticket = _file_case(chat, filed_by=actor, category=category, fields=dict(fields or {}))
        _ticketed(chat, ticket, actor, automatic=False)
    chat_offer_next()
    return ticket


def _auto_ticket(chat: Chat) -> Ticket:
    """A case filed by the chat itself: the chat's category with what it holds, or, when
    that category needs fields the chat does not hold, "Other"."""
    fallback = Category.objects.get(code=_FALLBACK_CATEGORY)
    for category in dict.fromkeys(c for c in (chat.category, fallback) if c is not None):
        try:
            with transaction.atomic():
                return _file_case(
                    chat,
                    filed_by=chat.customer,
                    category=category,
                    fields=prefilled_fields(chat, category),
                )
        except ValidationError:
            if category.pk == fallback.pk:
                raise
    raise AssertionError("unreachable: the fallback category files or raises")


def _auto_ticket_due(now: datetime) -> list[int]:
    """Waiting chats past the longest wait (or, with no agent available at all, past a
    short grace) become cases; the customer is told the reference in the chat."""
    anyone = ChatAgent.objects.filter(available=True, user__is_active=True).exists()
    if anyone:
        cutoff = now - timedelta(minutes=settings.REDRESS_CHAT_MAX_WAIT_MINUTES)
    else:
        cutoff = now - timedelta(seconds=settings.REDRESS_CHAT_NOBODY_SECONDS)
    done = []
    with transaction.atomic():
        due = list(
            Chat.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state=ChatState.WAITING, queued_at__lte=cutoff)
            .select_related("customer", "category")
            .order_by("queue_rank", "queued_at", "pk")[:SWEEP_BATCH]
        )
        for chat in due:
            ticket = _auto_ticket(chat)
            _ticketed(chat, ticket, None, automatic=True)
            done.append(chat.pk)
        if done:
            push.queue_moved()
    return done


@dataclass(frozen=True)
class SweepResult:
    expired: list[int]
    offered: list[int]
    ticketed: list[int]


def chat_sweep(*, now: datetime | None = None) -> SweepResult:
    """The beat's round: lapsed offers back to the queue, offers to agents with room, and
    chats that waited too long into cases. A second run finds nothing left to do."""
    now = now or timezone.now()
    expired = _expire_offers(now)
    offered = chat_offer_next(now=now)
    ticketed = _auto_ticket_due(now)
    return SweepResult(expired, offered, ticketed)
