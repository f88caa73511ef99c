"""Separate input and output shapes: inputs never write model fields directly."""

import copy
from collections.abc import Callable

from django.db import DatabaseError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.roles import is_staff_member
from evidence.fields import EvidenceField
from tickets.formatting import amount_text
from tickets.labels import name_for_customer
from tickets.models import (
    Attachment,
    Category,
    Channel,
    DelayNotice,
    Message,
    Priority,
    Resolution,
    ResolutionKind,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.transitions import CUSTOMER, allowed_actions


@extend_schema_field(
    {"type": "string", "format": "decimal", "nullable": True, "example": "1520.35"}
)
class AmountOutput(serializers.Field):
    """An amount as an exact string in its asset's decimal places, without trailing zeros.

    Read from the object itself (`source="*"`), since the asset decides how it is written.
    """

    def __init__(self, *, amount: str = "amount", asset: str = "asset", **kwargs):
        self.amount_attr, self.asset_attr = amount, asset
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance) -> str | None:
        value = getattr(instance, self.amount_attr)
        if value is None:
            return None
        return amount_text(value, getattr(instance, self.asset_attr))


class FieldsBuiltOnce:
    """A ModelSerializer derives its fields from the model (their kinds, lengths and
    validators) for every instance, which for an output built with every response (the
    filing's 201, each chat message) was a fifth of the request. This builds them once per
    class and gives each instance its own copies, as DRF does with declared fields.

    Only for serializers whose fields depend on their class alone, never on the request.
    """

    def get_fields(self):
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built  # two threads may both build: the same fields
        return copy.deepcopy(built)


class CategoryOutput(FieldsBuiltOnce, serializers.ModelSerializer):
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


class EvidenceFieldsInput(serializers.DictField):
    """The category's structured evidence by field name: text, or a number for `amount`.

    The values are checked by evidence.fields.clean_fields; here only their shape, so that
    a list or an object where text belongs is a 400 like any other bad input.
    """

    _FORMATS = {
        EvidenceField.OCCURRED_AT: {"type": "string", "format": "date-time"},
        EvidenceField.AMOUNT: {
            "anyOf": [{"type": "string", "pattern": r"^\d+(\.\d+)?$"}, {"type": "number"}]
        },
    }

    def __init__(self, **kwargs):
        super().__init__(child=serializers.JSONField(), **kwargs)

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        wrong = {
            name: [_("Send text here.")]
            for name, value in values.items()
            if value is not None
            and (isinstance(value, bool) or not isinstance(value, str | int | float))
        }
        if wrong:
            raise serializers.ValidationError(wrong)
        return {
            name: value if value is None or isinstance(value, str) else str(value)
            for name, value in values.items()
        }

    def openapi_schema(self) -> dict:
        """The object's fields, and which each active category needs (read when the
        schema is generated: categories are admin-edited)."""
        lines = []
        try:
            for category in Category.objects.filter(is_active=True).order_by("code"):
                needed = ", ".join(category.required_fields) or "-"
                optional = ", ".join(category.optional_fields) or "-"
                lines.append(f"- `{category.code}`: required {needed}; optional {optional}")
        except DatabaseError:
            lines = []  # a schema made without a database (say, at build time) lists none
        return {
            "type": "object",
            "description": (
                "The evidence fields the category asks for (`GET /api/v1/categories/`: "
                "`required_fields`, `optional_fields`); other names are ignored.\n\n"
                + "\n".join(lines)
            ),
            "properties": {
                field.value: {
                    **self._FORMATS.get(field, {"type": "string"}),
                    "nullable": True,
                    "description": str(field.label),
                }
                for field in EvidenceField
            },
        }


class TicketCreateInput(serializers.Serializer):
    category = serializers.SlugRelatedField(
        # With its team: the new case's team, and whether that team assigns in turns.
        slug_field="code",
        queryset=Category.objects.filter(is_active=True).select_related("team"),
    )
    subject = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=True)
    description = serializers.CharField(allow_blank=True, max_length=20000)
    fields = EvidenceFieldsInput(required=False, default=dict)
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


class AttachmentOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    filename = serializers.CharField(source="original_name")
    download_url = serializers.SerializerMethodField()
    sha256 = serializers.CharField(
        help_text=_(
            "SHA-256 of the stored copy (the download): images are stored without their "
            "location data, PDFs unchanged."
        )
    )
    received_sha256 = serializers.CharField(
        help_text=_(
            "SHA-256 of the file exactly as it was received: what `sha256sum` of the "
            "sender's copy prints. Empty for files stored before it was recorded."
        )
    )

    class Meta:
        model = Attachment
        fields = [
            "id",
            "filename",
            "content_type",
            "size",
            "sha256",
            "received_sha256",
            "created_at",
            "download_url",
        ]

    def get_download_url(self, attachment) -> str:
        request = self.context.get("request")
        path = f"/api/v1/attachments/{attachment.id}/download/"
        return request.build_absolute_uri(path) if request else path


class MessageOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    attachments = AttachmentOutput(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "author", "from_staff", "internal", "body", "created_at", "attachments"]

    def get_author(self, message) -> str:
        if message.author is None:
            return "system"
        if _for_customer(self.context):
            # Staff by the name they work under, or "Support team": never an email.
            return name_for_customer(message.author, message.ticket)
        return message.author.display_name


class EventOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = TicketEvent
        fields = ["kind", "from_status", "to_status", "from_tier", "to_tier", "created_at"]


def _for_customer(context) -> bool:
    request = context.get("request")
    return request is None or not is_staff_member(request.user)


class TicketListOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    assignee = serializers.SerializerMethodField(
        help_text=_(
            "Staff see the assignee's email; customers see the name they work under, "
            'or "Support team", never an email.'
        )
    )

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

    def get_assignee(self, ticket) -> str | None:
        if ticket.assignee is None:
            return None
        if _for_customer(self.context):
            return name_for_customer(ticket.assignee, ticket)
        return ticket.assignee.email


class TicketFieldsOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    asset = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    network = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    amount = AmountOutput()

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


# What the customer may do about the open proposal: API action names, in the order shown.
_ANSWERS = {"accept_resolution": "accept-resolution", "appeal": "appeal"}


class ProposalOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    """A proposed outcome, and what the customer may do about it until when."""

    asset = serializers.SlugRelatedField(slug_field="code", read_only=True)
    amount = AmountOutput()
    proposed_at = serializers.DateTimeField(source="created_at", read_only=True)
    customer_actions = serializers.SerializerMethodField(
        help_text=_(
            "What the customer may do about this proposal now: POST tickets/{reference}/{action}/."
        )
    )
    answer_by = serializers.SerializerMethodField(
        help_text=_("Until when the customer may answer; no answer by then counts as acceptance.")
    )

    class Meta:
        model = Resolution
        fields = [
            "id",
            "tier",
            "kind",
            "summary",
            "amount",
            "asset",
            "state",
            "proposed_at",
            "answered_at",
            "dispute_reason",
            "customer_actions",
            "answer_by",
        ]

    def _is_open(self, resolution) -> bool:
        ticket = resolution.ticket
        return (
            resolution.state == Resolution.State.PROPOSED
            and ticket.status == Status.RESOLUTION_PROPOSED
        )

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=list(_ANSWERS.values())))
    )
    def get_customer_actions(self, resolution) -> list[str]:
        if not self._is_open(resolution):
            return []
        allowed = allowed_actions(resolution.ticket, CUSTOMER)
        return [name for action, name in _ANSWERS.items() if action in allowed]

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_answer_by(self, resolution):
        if not self._is_open(resolution) or resolution.ticket.lifecycle_due_at is None:
            return None
        return serializers.DateTimeField().to_representation(resolution.ticket.lifecycle_due_at)


# Parts of the case's detail that apps above tickets own (escalation: the appeals and the
# committee's decision). Tickets cannot import them, so such an app registers a read-only
# field at start-up (its AppConfig.ready), as with the case page's parts (tickets.case_page);
# the detail and its OpenAPI schema include every one.
_detail_fields: dict[str, Callable[[], serializers.Field]] = {}
# The case's relations the detail reads (its own and those of the registered fields): a
# case just filed has nothing in any of them, so its detail need not ask (new_case_detail).
_detail_relations: set[str] = {"delay_notices"}


def add_detail_field(
    name: str, make_field: Callable[[], serializers.Field], *, reads: tuple[str, ...] = ()
) -> None:
    """`make_field` returns a new read-only field (a field belongs to one serializer);
    `reads` names the case's reverse relations it reads (Ticket.<related_name>)."""
    _detail_fields[name] = make_field
    _detail_relations.update(reads)


def new_case_context(ticket: Ticket) -> dict:
    """The detail's context for a case this request filed: no messages, files, proposals,
    notices, appeals or decision yet, so none is read (a filing answers without queries)."""
    ticket._prefetched_objects_cache = {
        name: getattr(ticket, name).model.objects.none() for name in _detail_relations
    }
    return {"messages": [], "attachments": [], "proposals": []}


class DelayNoticeOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = DelayNotice
        fields = ["reason", "expected_by", "created_at"]


class TicketDetailOutput(TicketListOutput):
    fields = TicketFieldsOutput(source="*", read_only=True)
    messages = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    proposals = serializers.SerializerMethodField()
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
            "proposals",
        ]

    def get_fields(self):
        fields = super().get_fields()
        for name, make_field in _detail_fields.items():
            fields[name] = make_field()
        return fields

    @extend_schema_field(ProposalOutput(many=True))
    def get_proposals(self, ticket) -> list:
        proposals = self.context["proposals"]
        for proposal in proposals:
            proposal.ticket = ticket  # the one already read, for what the customer may do
        return ProposalOutput(proposals, many=True, context=self.context).data

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
