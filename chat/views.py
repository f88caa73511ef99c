"""The chat's pages: the customer's chat and the staff chat panel. Thin: parse, call one
service or selector, render. The conversation itself is read and written by static/js/chat.js
through the REST API (one path for the browser and every other client)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.access import email_verified_required, staff_page
from accounts.roles import is_staff_member
from chat import selectors, services
from chat.forms import ChatStartForm, RatingForm, ToTicketForm
from chat.models import ChatFile, ChatState
from helpcenter import selectors as help_selectors
from helpcenter.models import content_language
from tickets import selectors as ticket_selectors
from tickets.models import CannedReply, Status, Ticket
from tickets.web import add_service_errors, private_download


def _customer_only(request):
    if is_staff_member(request.user):
        raise Http404  # staff chat from the panel, never as a customer


@login_required
@email_verified_required
@never_cache
def start(request):
    """ "Chat with us": the open chat if there is one, else the first question."""
    _customer_only(request)
    existing = selectors.open_chat_of(request.user)
    if existing is not None:
        return redirect("chat:chat", chat_id=existing.pk)
    form = ChatStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            chat = services.chat_start(
                customer=request.user,
                message=form.cleaned_data["message"],
                category=form.cleaned_data["category"],
                language=request.LANGUAGE_CODE,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("chat:chat", chat_id=chat.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "chat/start.html", {"form": form}, status=status)


def _conversation(request, chat, side: str) -> dict:
    return {
        "chat": chat,
        "side": side,
        "api": reverse("chat-detail", args=[chat.pk]),
        "socket": f"/ws/chats/{chat.pk}/",
    }


@login_required
@never_cache
def chat_page(request, chat_id):
    _customer_only(request)
    chat = selectors.chat_get_for_user(request.user, chat_id)
    try:
        rated = chat.rating is not None
    except ObjectDoesNotExist:
        rated = False
    context = _conversation(request, chat, selectors.CUSTOMER)
    context.update(
        {
            "position": selectors.queue_position(chat),
            "estimate_minutes": _minutes(selectors.estimated_wait_seconds())
            if chat.state == ChatState.WAITING
            else None,
            "rating_form": RatingForm() if chat.state in _ENDED and not rated else None,
            "rated": rated,
        }
    )
    return render(request, "chat/chat.html", context)


_ENDED = (ChatState.ENDED, ChatState.TICKETED)


def _minutes(seconds: int | None) -> int | None:
    return None if seconds is None else max(1, -(-seconds // 60))


@login_required
@require_POST
def person(request, chat_id):
    chat = selectors.chat_get_for_user(request.user, chat_id)
    services.chat_request_person(chat=chat, actor=request.user)
    return redirect("chat:chat", chat_id=chat.pk)


@login_required
@require_POST
def end(request, chat_id):
    chat = selectors.chat_get_for_user(request.user, chat_id)
    services.chat_end(chat=chat, actor=request.user, solved=request.POST.get("solved") == "1")
    if selectors.side_of(chat, request.user) == selectors.AGENT:
        return redirect("chat:panel")
    return redirect("chat:chat", chat_id=chat.pk)


@login_required
@require_POST
def rate(request, chat_id):
    chat = selectors.chat_get_for_user(request.user, chat_id)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            services.chat_rate(chat=chat, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Thank you for rating this chat."))
    else:
        messages.error(request, _("Choose a score for the outcome and for the service."))
    return redirect("chat:chat", chat_id=chat.pk)


@login_required
@never_cache
def transcript(request, chat_id):
    """The conversation as a text file; staff's copy holds the internal notes too."""
    chat = selectors.chat_get_for_user(request.user, chat_id)
    staff = selectors.side_of(chat, request.user) == selectors.AGENT
    response = HttpResponse(
        services.transcript_text(chat, internal=staff), content_type="text/plain; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="chat-{chat.pk}.txt"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def file_download(request, file_id):
    stored = get_object_or_404(ChatFile.objects.select_related("message"), pk=file_id)
    chat = selectors.chat_get_for_user(request.user, stored.chat_id)
    if stored.message.internal and selectors.side_of(chat, request.user) == selectors.CUSTOMER:
        raise Http404
    return private_download(
        stored.file.open("rb"), filename=stored.original_name, content_type=stored.content_type
    )


# --- staff ---------------------------------------------------------------------------


@staff_page
def panel(request):
    """The agent's chat panel: availability, chats offered to them, chats they hold."""
    if request.method == "POST":
        services.chat_availability_set(
            agent=request.user, available=request.POST.get("available") == "1"
        )
        return redirect("chat:panel")
    record = selectors.agent_of(request.user)
    return render(
        request,
        "chat/panel.html",
        {
            "record": record,
            "may_chat": services.is_chat_agent(request.user),
            "waiting": selectors.waiting_count(),
            **selectors.panel_chats(request.user),
        },
    )


@staff_page
@require_POST
def accept(request, chat_id):
    chat = selectors.chat_get_for_user(request.user, chat_id)
    services.chat_accept(chat=chat, actor=request.user)
    return redirect("chat:staff_chat", chat_id=chat.pk)


@staff_page
@require_POST
def decline(request, chat_id):
    chat = selectors.chat_get_for_user(request.user, chat_id)
    services.chat_decline(chat=chat, actor=request.user)
    messages.info(request, _("You passed on the chat: it goes to the next agent."))
    return redirect("chat:panel")


def _staff_context(request, chat, form=None) -> dict:
    customer = chat.customer
    language = content_language(chat.language)
    try:
        profile = customer.customer_profile
    except ObjectDoesNotExist:
        profile = None
    found = services.prefilled_fields(chat, chat.category)
    return {
        **_conversation(request, chat, selectors.AGENT),
        "profile": profile,
        "customer": customer,
        # Their open cases this agent may read (the one read scope, tickets.selectors).
        "cases": ticket_selectors.tickets_visible_to(request.user)
        .filter(customer=customer)
        .exclude(status=Status.CLOSED)
        .order_by("-created_at")[:10],
        "canned": [
            (reply.title, reply.body_zh if language == "zh" and reply.body_zh else reply.body_en)
            for reply in CannedReply.objects.filter(is_active=True).order_by("title")
        ],
        "articles": [
            (
                article.title_in(language),
                request.build_absolute_uri(help_selectors.article_path(article, language)),
            )
            for article in help_selectors.articles_for_category(chat.category_id, limit=15)
        ],
        "ticket_form": form
        or ToTicketForm(
            initial={"category": chat.category.code if chat.category else None, **found}
        ),
        "prefilled": found,
    }


@staff_page
def staff_chat(request, chat_id):
    chat = selectors.chat_get_for_user(request.user, chat_id)
    return render(request, "chat/staff_chat.html", _staff_context(request, chat))


@staff_page
@require_POST
def to_ticket(request, chat_id):
    chat = selectors.chat_get_for_user(request.user, chat_id)
    form = ToTicketForm(request.POST)
    if form.is_valid():
        try:
            ticket = services.chat_to_ticket(
                chat=chat,
                actor=request.user,
                category=form.cleaned_data["category"],
                fields=form.evidence(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("The chat is now case %(reference)s.") % {"reference": ticket.reference}
            )
            return redirect("staff:ticket", reference=ticket.reference)
    return render(request, "chat/staff_chat.html", _staff_context(request, chat, form), status=400)


# --- the case page -------------------------------------------------------------------


def case_chat_part(request, ticket: Ticket) -> dict | None:
    """On the case's page: the chat it began as, with its transcript (tickets.case_page)."""
    chats = list(ticket.chats.order_by("created_at"))
    if not chats:
        return None
    return {"template": "chat/partials/_case_chat.html", "case_chats": chats}
