"""The REST API of DESIGN.md: each endpoint parses input, calls a service or selector, renders.

The case's own endpoints are here; escalation.api adds the upper tiers' actions on the same
`tickets/{reference}/…` paths (escalate, accept, appeal, vote, approve, the case file).
"""

import hashlib
import json

from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet, ReadOnlyModelViewSet

from accounts import two_factor
from accounts.models import User
from accounts.roles import is_staff_member
from tickets import selectors, services, web
from tickets.api import serializers as s
from tickets.api.filters import TicketFilter
from tickets.exceptions import NotAllowed
from tickets.models import Channel, Ticket


class TokenView(APIView):
    """Exchange an email and password (and, for staff, the current TOTP code) for a token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    def get_authenticate_header(self, request):
        return "Token"  # so a refusal is a 401 that says how to authenticate

    @extend_schema(
        request=inline_serializer(
            "TokenInput",
            {
                "email": serializers.EmailField(),
                "password": serializers.CharField(),
                "otp": serializers.CharField(
                    required=False,
                    help_text=_("Staff only: the current 6-digit code from the authenticator app."),
                ),
            },
        ),
        responses=inline_serializer("TokenOutput", {"token": serializers.CharField()}),
    )
    def post(self, request):
        email = str(request.data.get("email", "")).strip().lower()
        password = str(request.data.get("password", ""))
        # django-axes watches the Django request: its middleware answers a lockout with 429.
        django_request = request._request
        user = authenticate(django_request, email=email, password=password)
        if user is None or not user.is_active:
            # One message for every failure: never say which part was wrong.
            raise AuthenticationFailed(_("Email or password is not right."))
        if is_staff_member(user):
            try:
                two_factor.code_verify(
                    request=django_request, user=user, code=str(request.data.get("otp", ""))
                )
            except two_factor.SecondFactorRefused as refusal:
                if refusal.retry_after is not None:
                    raise Throttled(wait=refusal.retry_after, detail=refusal.message) from None
                if refusal.code == "otp_required":
                    raise AuthenticationFailed(
                        _(
                            "This is a staff account: send `otp`, the current 6-digit code "
                            "from your authenticator app, with the email and password."
                        ),
                        code=refusal.code,
                    ) from None
                raise AuthenticationFailed(refusal.message, code=refusal.code) from None
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


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

    def _detail(self, ticket, status_code=status.HTTP_200_OK):
        user = self.request.user
        context = {
            "request": self.request,
            "messages": selectors.ticket_messages_for(user, ticket),
            "attachments": selectors.ticket_attachments_for(user, ticket),
            "proposals": list(selectors.ticket_proposals_for(user, ticket)),
        }
        return Response(s.TicketDetailOutput(ticket, context=context).data, status=status_code)


class TicketViewSet(CaseViewSet):
    filterset_class = TicketFilter

    @extend_schema(responses=s.TicketListOutput(many=True))
    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.TicketListOutput(page, many=True).data)

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
        return self._detail(ticket, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=s.MessageInput, responses={201: s.MessageOutput})
    @action(detail=True, methods=["post"])
    def messages(self, request, reference=None):
        ticket = self.get_object()
        data = s.MessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.ticket_add_message(
            ticket=ticket, author=request.user, **data.validated_data
        )
        return Response(s.MessageOutput(message).data, status=status.HTTP_201_CREATED)

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
        return self._detail(self.get_object())

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
    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, attachment_id):
        return web.evidence_download(selectors.attachment_get_for_user(request.user, attachment_id))
