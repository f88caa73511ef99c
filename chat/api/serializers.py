"""Separate input and output shapes for the chat API; outputs carry only what the reader
may read (chat.selectors scoped the messages)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chat import selectors, services
from chat.models import AuthorKind, Chat, ChatAgent, ChatState
from tickets.models import Category


class ChatStartInput(serializers.Serializer):
    message = serializers.CharField(max_length=4000, allow_blank=True, trim_whitespace=False)
    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Category.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )


class ChatOutput(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    position = serializers.SerializerMethodField(help_text=_("In the queue: 1 goes next."))
    estimate_seconds = serializers.SerializerMethodField(
        help_text=_("The median of recent waits, while waiting.")
    )
    ticket = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)
    state = serializers.ChoiceField(choices=ChatState.choices)

    class Meta:
        model = Chat
        fields = [
            "id",
            "state",
            "category",
            "language",
            "position",
            "estimate_seconds",
            "last_seq",
            "customer_read_seq",
            "agent_read_seq",
            "ticket",
            "created_at",
            "ended_at",
        ]

    def get_position(self, chat) -> int | None:
        return selectors.queue_position(chat)

    def get_estimate_seconds(self, chat) -> int | None:
        return selectors.estimated_wait_seconds() if chat.state == ChatState.WAITING else None


class ChatFileOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    received_sha256 = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, stored) -> str:
        return reverse("chat:file", args=[stored.pk])


class ArticleLinkOutput(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField()


class ChatMessageOutput(serializers.Serializer):
    # Declared, not a ModelSerializer: one is built for every message sent and every read
    # that follows a push, and a ModelSerializer derives its fields from the model each time.
    seq = serializers.IntegerField()
    author_kind = serializers.ChoiceField(choices=AuthorKind.choices)
    author = serializers.SerializerMethodField(help_text=_("Staff by their given name only."))
    internal = serializers.BooleanField()
    body = serializers.CharField()
    file = serializers.SerializerMethodField()
    articles = serializers.SerializerMethodField()
    ask_solved = serializers.SerializerMethodField()
    reference = serializers.SerializerMethodField(
        help_text=_("The case this chat became, on the message that says so.")
    )
    created_at = serializers.DateTimeField()

    def get_author(self, message) -> str:
        if message.author_kind == AuthorKind.AGENT:
            return services.staff_name(message.author)
        if message.author_kind == AuthorKind.CUSTOMER and message.author:
            return message.author.display_name
        return ""

    @extend_schema_field(ChatFileOutput(allow_null=True))
    def get_file(self, message):
        stored = getattr(message, "file", None)  # None: the reverse one-to-one is absent
        return ChatFileOutput(stored).data if stored else None

    @extend_schema_field(ArticleLinkOutput(many=True))
    def get_articles(self, message):
        return message.data.get("articles", [])

    def get_ask_solved(self, message) -> bool:
        return bool(message.data.get("ask_solved"))

    def get_reference(self, message) -> str | None:
        return message.data.get("reference")


class ChatMessagesOutput(serializers.Serializer):
    results = ChatMessageOutput(many=True)
    last_seq = serializers.IntegerField(help_text=_("Ask again with after=last_seq for more."))
    more = serializers.BooleanField()


class ChatMessageInput(serializers.Serializer):
    body = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, trim_whitespace=False
    )
    internal = serializers.BooleanField(required=False, default=False)
    file = serializers.FileField(required=False, allow_empty_file=True)


class ChatToTicketInput(serializers.Serializer):
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(is_active=True)
    )
    fields = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)


class ChatRateInput(serializers.Serializer):
    outcome = serializers.IntegerField()
    service = serializers.IntegerField()
    comment = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, trim_whitespace=False
    )


class ChatEndInput(serializers.Serializer):
    solved = serializers.BooleanField(required=False, default=False)


class TicketReferenceOutput(serializers.Serializer):
    reference = serializers.CharField()


class AvailabilityInput(serializers.Serializer):
    available = serializers.BooleanField()


class AvailabilityOutput(serializers.ModelSerializer):
    load = serializers.SerializerMethodField()

    class Meta:
        model = ChatAgent
        fields = ["available", "max_chats", "load"]

    def get_load(self, record) -> int:
        return selectors.agent_load(record.user)
