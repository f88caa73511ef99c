"""From "who should hear of what" to the mail itself: rendered once, in the reader's language.

An event handler (mail/events.py) says what to send as `Outgoing`; `record` renders each
in its recipient's language, adds our headers' values (Message-ID, the reply address
that names the case, the case's thread) and writes it as a Notification, once per key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import User
from mail import addresses
from mail.kinds import KINDS
from mail.models import Bounce, Notification, OptOut
from tickets.models import Ticket


@dataclass
class Outgoing:
    """One mail to send: `key` names the event and the recipient, so it goes once."""

    key: str
    kind: str
    template: str  # mail/email/<template>.txt and <template>_subject.txt
    to: User | str
    ticket: Ticket | None = None
    context: dict = field(default_factory=dict)
    # For an address with no account: the language to write in (else the person's).
    language: str = ""


def language_of(user: User | None) -> str:
    profile = getattr(user, "customer_profile", None) if user is not None else None
    return profile.preferred_language if profile else settings.LANGUAGE_CODE


def reply_marker() -> str:
    """The line above which a reply goes: the inbound parser cuts everything below it."""
    return gettext("##- Please type your reply above this line -##")


def site_link(name: str, *args) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


def _takes_replies(ticket: Ticket | None, user: User | None) -> bool:
    # A reply to a closed case opens a new one (mail/inbound.py), so closed ones get it too.
    return ticket is not None and user is not None and user.pk == ticket.customer_id


def _text(name: str, context: dict) -> str:
    # Plain text is not HTML: a customer's "quotes" & <angles> stay as they wrote them.
    return get_template(name).template.render(Context(context, autoescape=False))


def render(outgoing: Outgoing, *, language: str, user: User | None) -> tuple[str, str, str]:
    """Subject, text and HTML of one mail, in `language`."""
    ticket = outgoing.ticket
    with translation.override(language):
        context = {
            "recipient": user,
            "customer": user,  # the customer templates greet them by this name
            "ticket": ticket,
            "official_domain": settings.OFFICIAL_DOMAIN,
            "replies": _takes_replies(ticket, user),
            **outgoing.context,
        }
        if ticket is not None:
            context.setdefault("ticket_url", site_link("tickets:detail", ticket.reference))
            context.setdefault("link", site_link("staff:ticket", ticket.reference))
        subject = _text(f"mail/email/{outgoing.template}_subject.txt", context)
        text = _text(f"mail/email/{outgoing.template}.txt", context)
        if context["replies"]:
            text = f"{reply_marker()}\n\n{text}"
        html = render_to_string("mail/email/_layout.html", {**context, "text": text})
    return " ".join(subject.split())[:300], text, html


def record(outgoing: list[Outgoing]) -> list[int]:
    """Write each mail once; returns the ids of those (new or not) still to send."""
    if not outgoing:
        return []
    users = [item.to for item in outgoing if isinstance(item.to, User)]
    turned_off = set(OptOut.objects.filter(user__in=users).values_list("user_id", "kind"))
    addresses_ = {(item.to.email if isinstance(item.to, User) else item.to) for item in outgoing}
    bouncing = set(
        Bounce.objects.filter(address__in={a.lower() for a in addresses_}).values_list(
            "address", flat=True
        )
    )
    existing = set(
        Notification.objects.filter(key__in=[item.key for item in outgoing]).values_list(
            "key", flat=True
        )
    )
    rows = []
    for item in outgoing:
        if item.key in existing:
            continue  # a second run of the same event: it was recorded (and maybe sent)
        user = item.to if isinstance(item.to, User) else None
        to = user.email if user else item.to
        kind = KINDS[item.kind]
        language = item.language or language_of(user)
        subject, text, html = render(item, language=language, user=user)
        row = Notification(
            key=item.key,
            kind=item.kind,
            ticket=item.ticket,
            recipient=user,
            to=to,
            language=language,
            subject=subject,
            body_text=text,
            body_html=html,
            message_id=addresses.message_id(item.kind),
            reply_to=addresses.reply_address(item.ticket.reference)
            if _takes_replies(item.ticket, user)
            else "",
            references=addresses.case_thread(item.ticket.reference) if item.ticket else "",
        )
        if user is not None and not kind.required and (user.pk, kind.code) in turned_off:
            row.state, row.reason = Notification.State.SUPPRESSED, "turned off by the recipient"
        elif to.lower() in bouncing:
            row.state, row.reason = Notification.State.SUPPRESSED, "the address bounces"
        elif user is not None and not user.is_active:
            row.state, row.reason = Notification.State.SUPPRESSED, "the account is inactive"
        rows.append(row)
    # Two runs at once: the unique key lets one insert win; the other's rows are skipped.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        Notification.objects.filter(
            key__in=[item.key for item in outgoing],
            state__in=[Notification.State.PENDING, Notification.State.SENDING],
            next_attempt_at__lte=timezone.now(),
        ).values_list("pk", flat=True)
    )
