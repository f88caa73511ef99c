"""Live chat: the conversation, its queue, the agents who take chats, and the audit trail.

A chat moves bot -> waiting -> offered -> active -> ended, or ends as a ticket (ticketed)
from waiting, offered or active (chat/services.py holds the moves). Its messages are
numbered per chat (`seq`), which is what the WebSocket announces and what a client that
reconnects asks after.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import evidence_storage


class ChatState(models.TextChoices):
    BOT = "bot", _("With the assistant")
    WAITING = "waiting", _("Waiting for a person")
    OFFERED = "offered", _("Offered to an agent")
    ACTIVE = "active", _("With an agent")
    ENDED = "ended", _("Ended")
    TICKETED = "ticketed", _("Became a case")


OPEN_STATES = (ChatState.BOT, ChatState.WAITING, ChatState.OFFERED, ChatState.ACTIVE)
# What counts towards an agent's concurrent limit.
HELD_STATES = (ChatState.OFFERED, ChatState.ACTIVE)


class QueueRank(models.IntegerChoices):
    """Lower goes first: a compromised account cannot wait behind a fee question."""

    URGENT = 0, _("Urgent")
    NORMAL = 1, _("Normal")


def _evidence_storage():
    return evidence_storage


class Chat(models.Model):
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chats"
    )
    category = models.ForeignKey(
        "tickets.Category", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    language = models.CharField(_("language"), max_length=10, default="en")
    state = models.CharField(
        _("state"), max_length=10, choices=ChatState.choices, default=ChatState.BOT
    )
    queue_rank = models.PositiveSmallIntegerField(
        _("queue rank"), choices=QueueRank.choices, default=QueueRank.NORMAL
    )
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agent_chats",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.PROTECT, null=True, blank=True, related_name="chats"
    )
    # The last message's number: the next message takes last_seq + 1 under the row lock.
    last_seq = models.PositiveIntegerField(default=0)
    # Read state: the highest message number each side has seen.
    customer_read_seq = models.PositiveIntegerField(default=0)
    agent_read_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        indexes = [
            # The queue: waiting chats in offer order (chat_offer_next, queue positions).
            models.Index(
                fields=["queue_rank", "queued_at", "id"],
                name="chat_queue",
                condition=models.Q(state="waiting"),
            ),
            # An agent's load and panel: their offered and active chats.
            models.Index(fields=["agent", "state"], name="chat_agent_state"),
            models.Index(fields=["customer", "-created_at"], name="chat_customer_recent"),
            # Recent waits for the estimate (rolling median).
            models.Index(
                fields=["-accepted_at"],
                name="chat_recent_accepts",
                condition=models.Q(accepted_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"chat {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def language_name(self) -> str:
        """The customer's language as staff read it (the agent answers in it)."""
        return str(dict(settings.LANGUAGES).get(self.language, self.language))


class AuthorKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    BOT = "bot", _("Assistant")
    SYSTEM = "system", _("System")


class ChatMessage(models.Model):
    chat = models.ForeignKey(Chat, on_delete=models.PROTECT, related_name="messages")
    seq = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    # An agent's note for staff only: never served to the customer, nor announced to them.
    internal = models.BooleanField(default=False)
    body = models.TextField(blank=True)
    # What the message carries besides text: the bot's articles, a case's reference.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chat", "seq"], name="chat_message_seq_unique")
        ]
        ordering = ["chat", "seq"]

    def __str__(self) -> str:
        return f"chat {self.chat_id} #{self.seq}"


class ChatFile(models.Model):
    """A file sent in a chat, checked by the evidence rules; it becomes evidence of the case
    the chat turns into, with the same hashes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    chat = models.ForeignKey(Chat, on_delete=models.PROTECT, related_name="files")
    message = models.OneToOneField(ChatMessage, on_delete=models.PROTECT, related_name="file")
    file = models.FileField(storage=_evidence_storage, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    received_sha256 = models.CharField(max_length=64)
    received_size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class ChatAgent(models.Model):
    """An agent's chat availability and their concurrent limit (set by an admin)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="chat_agent",
    )
    available = models.BooleanField(_("available for chats"), default=False)
    max_chats = models.PositiveSmallIntegerField(_("concurrent chats"), default=3)
    # Ties between equally busy agents go to whoever was offered a chat longest ago.
    last_offered_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("chat agent")
        verbose_name_plural = _("chat agents")
        indexes = [
            models.Index(
                fields=["last_offered_at"],
                name="chat_agent_available",
                condition=models.Q(available=True),
            )
        ]

    def __str__(self) -> str:
        return str(self.user)


class ChatRating(models.Model):
    chat = models.OneToOneField(Chat, on_delete=models.PROTECT, related_name="rating")
    outcome = models.PositiveSmallIntegerField(_("outcome"))
    service = models.PositiveSmallIntegerField(_("service"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__gte=1, outcome__lte=5, service__gte=1, service__lte=5),
                name="chat_rating_range",
            )
        ]
        # The satisfaction report reads a range of days (reports/chats.py).
        indexes = [models.Index(fields=["created_at"], name="chat_rating_created")]

    def __str__(self) -> str:
        return f"chat {self.chat_id}: {self.outcome}/{self.service}"


class ChatEventKind(models.TextChoices):
    STARTED = "started", _("Chat started")
    BOT_ANSWERED = "bot_answered", _("Assistant answered")
    QUEUED = "queued", _("Asked for a person")
    OFFERED = "offered", _("Offered to an agent")
    OFFER_EXPIRED = "offer_expired", _("Offer expired")
    DECLINED = "declined", _("Offer declined")
    ACCEPTED = "accepted", _("Accepted")
    MESSAGE = "message", _("Message")
    NOTE = "note", _("Internal note")
    FILE = "file", _("File")
    REFUSED = "refused", _("Message refused")
    ENDED = "ended", _("Ended")
    RATED = "rated", _("Rated")
    TICKETED = "ticketed", _("Turned into a case")
    AVAILABILITY = "availability", _("Availability changed")


class ChatEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Chat events are append-only.")

    def delete(self):
        raise TypeError("Chat events are append-only.")


class ChatEvent(models.Model):
    """The chat's audit trail: one row per thing that happened, never changed or removed
    (PostgreSQL refuses to, migration 0002, and the app's role may not: config.db_roles)."""

    chat = models.ForeignKey(
        Chat, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ChatEventKind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ChatEventQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["chat", "created_at"], name="chat_event_chat")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.chat_id})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Chat events are append-only.")
        super().save(*args, **kwargs)
