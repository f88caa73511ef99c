"""Separate input and output shapes: inputs never write model fields directly."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.models import (
    Attachment,
    Category,
    Channel,
    DelayNotice,
    Message,
    Priority,
    Resolution,
    ResolutionKind,
    Ticket,
    TicketEvent,
)


class CategoryOutput(serializers.ModelSerializer):
    name = serializers.CharField()
    description = serializers.CharField()
    team = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Category
        fields = [
            "code",
            "name",
            "description",
            "required_fields",
            "optional_fields",
            "default_priority",
            "team",
        ]


class TicketCreateInput(serializers.Serializer):
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(is_active=True)
    )
    subject = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=True)
    description = serializers.CharField(allow_blank=True, max_length=20000)
    fields = serializers.DictField(child=serializers.JSONField(), required=False, default=dict)
    customer = serializers.EmailField(
        required=False, help_text=_("Staff only: the customer this case is filed for.")
    )
    channel = serializers.ChoiceField(
        choices=[c for c in Channel.choices if c[0] != Channel.WEB], required=False
    )
    allow_duplicate = serializers.BooleanField(required=False, default=False)


class MessageInput(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, max_length=20000)
    internal = serializers.BooleanField(required=False, default=False)


class AttachmentInput(serializers.Serializer):
    file = serializers.FileField()


class AttachmentOutput(serializers.ModelSerializer):
    filename = serializers.CharField(source="original_name")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "sha256", "created_at", "download_url"]

    def get_download_url(self, attachment) -> str:
        request = self.context.get("request")
        path = f"/api/v1/attachments/{attachment.id}/download/"
        return request.build_absolute_uri(path) if request else path


class MessageOutput(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    attachments = AttachmentOutput(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "author", "from_staff", "internal", "body", "created_at", "attachments"]

    def get_author(self, message) -> str:
        # Customers see who on the desk wrote by name only, never a staff email.
        if message.author is None:
            return "system"
        return message.author.display_name


class EventOutput(serializers.ModelSerializer):
    class Meta:
        model = TicketEvent
        fields = ["kind", "from_status", "to_status", "from_tier", "to_tier", "created_at"]


class TicketListOutput(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="email", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "reference",
            "subject",
            "category",
            "status",
            "tier",
            "priority",
            "channel",
            "assignee",
            "created_at",
            "updated_at",
            "first_response_due_at",
            "next_response_due_at",
            "resolution_due_at",
        ]


class TicketFieldsOutput(serializers.ModelSerializer):
    asset = serializers.SlugRelatedField(slug_field="code", read_only=True)
    network = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "occurred_at",
            "asset",
            "network",
            "amount",
            "order_id",
            "txid",
            "wallet_address",
            "trading_pair",
            "device",
        ]


class DelayNoticeOutput(serializers.ModelSerializer):
    class Meta:
        model = DelayNotice
        fields = ["reason", "expected_by", "created_at"]


class TicketDetailOutput(TicketListOutput):
    fields = TicketFieldsOutput(source="*", read_only=True)
    messages = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    delay_notices = DelayNoticeOutput(many=True, read_only=True)

    class Meta(TicketListOutput.Meta):
        fields = [
            *TicketListOutput.Meta.fields,
            "description",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            # The regulator's clock: when the final decision is due, when it was given, and
            # any notice that it will be late (why, and by when to expect it).
            "final_decision_due_at",
            "final_decision_at",
            "delay_notices",
            "fields",
            "messages",
            "attachments",
        ]

    @extend_schema_field(MessageOutput(many=True))
    def get_messages(self, ticket) -> list:
        return MessageOutput(self.context["messages"], many=True, context=self.context).data

    @extend_schema_field(AttachmentOutput(many=True))
    def get_attachments(self, ticket) -> list:
        return AttachmentOutput(self.context["attachments"], many=True, context=self.context).data


class EmptyInput(serializers.Serializer):
    """For actions that take no body: claim, accept-resolution, approve-resolution."""


class AssignInput(serializers.Serializer):
    assignee = serializers.EmailField(required=False, help_text=_("A staff member's email."))
    team = serializers.SlugField(required=False, help_text=_("A team code."))

    def validate(self, data):
        if not data.get("assignee") and not data.get("team"):
            raise serializers.ValidationError(_("Name an assignee or a team."))
        return data


class BodyInput(serializers.Serializer):
    body = serializers.CharField(max_length=20000)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class ProposeResolutionInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ResolutionKind.choices)
    summary = serializers.CharField(max_length=20000)
    amount = serializers.DecimalField(max_digits=38, decimal_places=18, required=False)
    asset = serializers.CharField(max_length=20, required=False)


class ChangePriorityInput(ReasonInput):
    priority = serializers.ChoiceField(choices=Priority.choices)


class ChangeCategoryInput(ReasonInput):
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(is_active=True)
    )


class MergeInput(serializers.Serializer):
    into = serializers.CharField(
        max_length=16, help_text=_("The reference of the case that carries on.")
    )


class ResolutionOutput(serializers.ModelSerializer):
    asset = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Resolution
        fields = ["id", "tier", "kind", "summary", "amount", "asset", "state", "created_at"]
