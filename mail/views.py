"""Staff's pages of the mail room (held messages, bouncing addresses) and the preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import staff_page
from mail import selectors, services
from mail.forms import REQUIRED_NOTE, PreferencesForm
from mail.kinds import KINDS, choosable
from mail.models import InboundMessage


def _form(request, data=None) -> PreferencesForm:
    audience = selectors.audience_of(request.user)
    return PreferencesForm(
        data, kinds=choosable(audience), turned_off=selectors.turned_off(request.user)
    )


def preferences_part(request) -> dict | None:
    """The profile page's "Mail" card: what this person gets by mail."""
    if not request.user.is_authenticated:
        return None
    audience = selectors.audience_of(request.user)
    return {
        "template": "mail/partials/_preferences.html",
        "form": _form(request),
        "required_note": REQUIRED_NOTE,
        "required": [k for k in KINDS.values() if k.audience == audience and k.required],
    }


@login_required
@require_POST
def preferences(request):
    form = _form(request, request.POST)
    if form.is_valid():
        services.preferences_set(
            user=request.user,
            audience=selectors.audience_of(request.user),
            turned_off=form.turned_off(),
        )
        messages.success(request, _("Your mail preferences are saved."))
    return redirect("accounts:profile")


@staff_page
def quarantine(request):
    return render(
        request,
        "mail/quarantine.html",
        {"held": selectors.quarantine()[:200], "bounces": selectors.bounces()[:200]},
    )


@staff_page
def raw_message(request, inbound_id: int):
    """The held message as it arrived, to read in a mail program (never rendered here)."""
    row = get_object_or_404(InboundMessage, pk=inbound_id)
    if not row.raw:
        raise Http404
    response = HttpResponse(bytes(row.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{row.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_page
@require_POST
def dismiss(request, inbound_id: int):
    try:
        services.inbound_dismiss(inbound_id=inbound_id, actor=request.user)
    except InboundMessage.DoesNotExist as missing:
        raise Http404 from missing
    messages.success(request, _("The message is dismissed."))
    return redirect("mail:quarantine")
