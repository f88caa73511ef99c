"""The REST API of DESIGN.md: each endpoint parses input, calls a service or selector, renders.

The case's own endpoints are here; escalation.api adds the upper tiers' actions on the same
`tickets/{reference}/…` paths (escalate, accept, appeal, vote, approve, the case file).
"""

import hashlib
import json

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet, ReadOnlyModelViewSet

from accounts.models import User
from accounts.roles import is_staff_member
from tickets import selectors, services, web
from tickets.api import serializers as s
from tickets.api.filters import TicketFilter
from tickets.exceptions import NotAllowed
from tickets.models import Channel, Ticket


class CategoryViewSet(ReadOnlyModelViewSet):
    serializer_class = s.CategoryOutput
    lookup_field = "code"
    pagination_class = None

    def get_queryset(self):
        return selectors.active_categories().select_related("team")


def _request_hash(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


class CaseViewSet(GenericViewSet):
    """What every `tickets/{reference}/…` endpoint shares: the case the caller may see, and
    the detail it answers with (escalation.api builds on this too)."""

    lookup_field = "reference"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    queryset = Ticket.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = s.TicketDetailOutput  # for the schema; each endpoint names its own

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.tickets_visible_to(self.request.user)

    def get_object(self):
        return selectors.ticket_get_for_user(self.request.user, self.kwargs["reference"])

    def _detail(self, ticket, status_code=status.HTTP_200_OK, *, new=False):
        user = self.request.user
        if new:
            context = s.new_case_context(ticket)
        else:
            context = {
                "messages": selectors.ticket_messages_for(user, ticket),
                "attachments": selectors.ticket_attachments_for(user, ticket),
                "proposals": list(selectors.ticket_proposals_for(user, ticket)),
            }
        context["request"] = self.request
        return Response(s.TicketDetailOutput(ticket, context=context).data, status=status_code)


class TicketViewSet(CaseViewSet):
    filterset_class = TicketFilter

    @extend_schema(responses=s.TicketListOutput(many=True))
    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        output = s.TicketListOutput(page, many=True, context={"request": request})
        return self.get_paginated_response(output.data)

    @extend_schema(responses=s.TicketDetailOutput)
    def retrieve(self, request, reference=None):
        return self._detail(self.get_object())

    @extend_schema(
        request=s.TicketCreateInput,
        responses={201: s.TicketDetailOutput, 200: s.TicketDetailOutput},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                location=OpenApiParameter.HEADER,
                required=False,
                description=_("A retry with the same key returns the first ticket."),
            )
        ],
    )
    def create(self, request):
        data = s.TicketCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        customer = request.user
        channel = Channel.API
        if "customer" in values:
            if not is_staff_member(request.user):
                raise NotAllowed(_("Only staff may file a case for someone else."))
            customer = get_object_or_404(User, email__iexact=values.pop("customer"))
            channel = values.get("channel") or Channel.PHONE
        values.pop("channel", None)
        kwargs = {
            "customer": customer,
            "category": values["category"],
            "subject": values["subject"],
            "description": values["description"],
            "fields": values["fields"],
            "channel": channel,
            "allow_duplicate": values["allow_duplicate"],
        }
        key = request.headers.get("Idempotency-Key", "").strip()
        if key:
            ticket, created = services.ticket_file_idempotent(
                idempotency_key=key[:255],
                request_hash=_request_hash({**request.data, "customer": customer.pk}),
                filed_by=request.user,
                **kwargs,
            )
        else:
            ticket, created = services.ticket_file(filed_by=request.user, **kwargs), True
        if created:
            return self._detail(ticket, status.HTTP_201_CREATED, new=True)
        return self._detail(ticket)

    @extend_schema(request=s.MessageInput, responses={201: s.MessageOutput})
    @action(detail=True, methods=["post"])
    def messages(self, request, reference=None):
        ticket = self.get_object()
        data = s.MessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.ticket_add_message(
            ticket=ticket, author=request.user, **data.validated_data
        )
        output = s.MessageOutput(message, context={"request": request})
        return Response(output.data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReasonInput, responses={200: s.TicketDetailOutput})
    @action(detail=True, methods=["post"], url_path="open-anyway")
    def open_anyway(self, request, reference=None):
        """A supervisor (admin) opens a case outside their scope, with a reason the audit
        trail keeps; they may read it for a few hours after (README, "Who may read what")."""
        ticket = selectors.ticket_outside_scope(request.user, reference)
        if ticket is None:
            return self._detail(self.get_object())  # theirs already, or a 404 as any other
        data = s.ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.ticket_open_anyway(ticket=ticket, actor=request.user, **data.validated_data)
        return self._detail(self.get_object())

    @extend_schema(
        request={"multipart/form-data": s.AttachmentInput}, responses={201: s.AttachmentOutput}
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def attachments(self, request, reference=None):
        ticket = self.get_object()
        upload = request.FILES.get("file")
        files = [upload] if upload else []
        (attachment,) = services.ticket_add_evidence(ticket=ticket, actor=request.user, files=files)
        return Response(
            s.AttachmentOutput(attachment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


def case_action(name: str, input_serializer, call, *, url_path: str | None = None):
    """One `POST tickets/{reference}/{action}/`: parse the body, call one service, show the case."""

    @extend_schema(request=input_serializer, responses={200: s.TicketDetailOutput})
    def view(self, request, reference=None):
        ticket = self.get_object()
        data = input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        call(ticket=ticket, actor=request.user, **data.validated_data)
        # The case as the action left it, even if that took it out of the caller's scope
        # (an agent escalating it to the appeal center): nothing they had not just read.
        ticket.refresh_from_db()
        return self._detail(ticket)

    view.__name__ = name
    return action(detail=True, methods=["post"], url_path=url_path or name.replace("_", "-"))(view)


def _propose(*, ticket, actor, **data):
    services.ticket_propose_resolution(ticket=ticket, actor=actor, **data)


def _merge(*, ticket, actor, into):
    target = selectors.ticket_get_for_user(actor, into)
    services.ticket_merge(ticket=ticket, actor=actor, into=target)


def _request_info(*, ticket, actor, body):
    services.ticket_request_info(ticket=ticket, actor=actor, body=body)


for _name, _input, _call in (
    ("claim", s.EmptyInput, services.ticket_claim),
    ("assign", s.AssignInput, services.ticket_assign),
    ("request_info", s.BodyInput, _request_info),
    ("propose_resolution", s.ProposeResolutionInput, _propose),
    ("reject", s.ReasonInput, services.ticket_reject),
    ("change_priority", s.ChangePriorityInput, services.ticket_change_priority),
    ("change_category", s.ChangeCategoryInput, services.ticket_change_category),
    ("merge", s.MergeInput, _merge),
):
    setattr(TicketViewSet, _name, case_action(_name, _input, _call))


class AttachmentDownloadView(APIView):
    # The file as stored, with its own type: one of the evidence types admins allow.
    @extend_schema(
        responses={(200, media_type): bytes for media_type in settings.EVIDENCE_ALLOWED_TYPES}
    )
    def get(self, request, attachment_id):
        return web.evidence_download(selectors.attachment_get_for_user(request.user, attachment_id))
