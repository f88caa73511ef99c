"""The chat API of DESIGN.md: `chats/`, `chats/{id}/messages/`, `chats/{id}/{action}/`, and
the agent's availability. Each endpoint parses, calls a service or selector, renders; a
chat the caller may not read is a 404."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from chat import selectors, services
from chat.api import serializers as s
from chat.models import Chat, ChatAgent
from tickets.exceptions import NotAllowed


class ChatViewSet(GenericViewSet):
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    queryset = Chat.objects.none()  # for the schema; requests use get_object()
    serializer_class = s.ChatOutput
    lookup_value_regex = r"\d+"

    def get_object(self):
        return selectors.chat_get_for_user(self.request.user, self.kwargs["pk"])

    def _chat(self, chat, code=status.HTTP_200_OK):
        chat.refresh_from_db()
        return Response(s.ChatOutput(chat).data, status=code)

    @extend_schema(request=s.ChatStartInput, responses={201: s.ChatOutput})
    def create(self, request):
        data = s.ChatStartInput(data=request.data)
        data.is_valid(raise_exception=True)
        chat = services.chat_start(
            customer=request.user,
            message=data.validated_data["message"],
            category=data.validated_data.get("category"),
            language=request.LANGUAGE_CODE,
        )
        return self._chat(chat, status.HTTP_201_CREATED)

    @extend_schema(responses=s.ChatOutput)
    def retrieve(self, request, pk=None):
        return self._chat(self.get_object())

    @extend_schema(
        methods=["GET"],
        parameters=[
            OpenApiParameter("after", int, description="A sequence number: what came after it.")
        ],
        responses=s.ChatMessagesOutput,
    )
    @extend_schema(
        methods=["POST"], request=s.ChatMessageInput, responses={201: s.ChatMessageOutput}
    )
    @action(detail=True, methods=["get", "post"])
    def messages(self, request, pk=None):
        # The chat's own columns are all a message needs (who is on which side, its state).
        chat = selectors.chat_get_for_user(request.user, pk, related=())
        if request.method == "GET":
            try:
                after = max(0, int(request.query_params.get("after", 0)))
            except ValueError:
                return Response({"after": ["Give a sequence number."]}, status=400)
            messages = selectors.messages_for(chat, request.user, after=after)
            last = messages[-1].seq if messages else after
            return Response(
                {
                    "results": s.ChatMessageOutput(messages, many=True).data,
                    "last_seq": last,
                    "more": len(messages) == selectors.MESSAGES_PAGE,
                }
            )
        data = s.ChatMessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.chat_message_add(
            chat=chat,
            author=request.user,
            body=data.validated_data.get("body", ""),
            internal=data.validated_data["internal"],
            file=data.validated_data.get("file"),
        )
        return Response(s.ChatMessageOutput(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.ChatOutput)
    @action(detail=True, methods=["post"])
    def person(self, request, pk=None):
        """Talk to a person: the chat joins the queue."""
        return self._chat(services.chat_request_person(chat=self.get_object(), actor=request.user))

    @extend_schema(request=None, responses=s.ChatOutput)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._chat(services.chat_accept(chat=self.get_object(), actor=request.user))

    @extend_schema(request=None, responses=s.ChatOutput)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Pass on a chat offered to you: it goes to the next agent, never back to you."""
        return self._chat(services.chat_decline(chat=self.get_object(), actor=request.user))

    @extend_schema(request=s.ChatEndInput, responses=s.ChatOutput)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        data = s.ChatEndInput(data=request.data)
        data.is_valid(raise_exception=True)
        chat = services.chat_end(
            chat=self.get_object(), actor=request.user, solved=data.validated_data["solved"]
        )
        return self._chat(chat)

    @extend_schema(request=s.ChatToTicketInput, responses={201: s.TicketReferenceOutput})
    @action(detail=True, methods=["post"], url_path="to-ticket")
    def to_ticket(self, request, pk=None):
        chat = self.get_object()
        data = s.ChatToTicketInput(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.chat_to_ticket(
            chat=chat,
            actor=request.user,
            category=data.validated_data["category"],
            fields=data.validated_data.get("fields", {}),
        )
        return Response({"reference": ticket.reference}, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ChatRateInput, responses={201: s.ChatOutput})
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        chat = self.get_object()
        data = s.ChatRateInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.chat_rate(chat=chat, actor=request.user, **data.validated_data)
        return self._chat(chat, status.HTTP_201_CREATED)


class AvailabilityView(APIView):
    """The signed-in agent's chat availability (their limit is the admin's to set)."""

    def _agent(self, request) -> ChatAgent:
        record = selectors.agent_of(request.user)
        if record is None:
            if not services.is_chat_agent(request.user):
                raise NotAllowed(_("Only agents take chats."))
            record = ChatAgent(user=request.user)
        return record

    @extend_schema(responses=s.AvailabilityOutput)
    def get(self, request):
        return Response(s.AvailabilityOutput(self._agent(request)).data)

    @extend_schema(request=s.AvailabilityInput, responses=s.AvailabilityOutput)
    def post(self, request):
        data = s.AvailabilityInput(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.chat_availability_set(
            agent=request.user, available=data.validated_data["available"]
        )
        return Response(s.AvailabilityOutput(get_object_or_404(ChatAgent, pk=record.pk)).data)
