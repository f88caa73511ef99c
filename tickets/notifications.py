"""Mail to customers, rendered in their own language."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tickets.models import Message, Ticket


def _language_of(user) -> str:
    profile = getattr(user, "customer_profile", None)
    return profile.preferred_language if profile else settings.LANGUAGE_CODE


def send_to_customer(ticket: Ticket, template: str, context: dict) -> None:
    """One mail to the ticket's customer, in their language, from tickets/email/<template>
    (or another app's `<app>/email/<template>`, given with its folder)."""
    if "/" not in template:
        template = f"tickets/email/{template}"
    customer = ticket.customer
    with translation.override(_language_of(customer)):
        context = {
            **context,
            "ticket": ticket,
            "customer": customer,
            "ticket_url": settings.SITE_URL.rstrip("/")
            + reverse("tickets:detail", args=[ticket.reference]),
            "official_domain": settings.OFFICIAL_DOMAIN,
        }
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}.txt", context)
    EmailMultiAlternatives(subject, body, to=[customer.email]).send()


def ticket_received(ticket_id: int) -> None:
    ticket = Ticket.objects.select_related("customer__customer_profile", "category").get(
        pk=ticket_id
    )
    send_to_customer(ticket, "ticket_received", {})


def staff_replied(message_id: int) -> None:
    message = Message.objects.select_related("ticket__customer__customer_profile", "author").get(
        pk=message_id
    )
    if message.internal:
        return
    send_to_customer(message.ticket, "staff_reply", {"message": message})


def lifecycle_mail(ticket_id: int, template: str, message_id: int | None = None) -> None:
    """Proposal, decision, closing and the like: one template each under tickets/email/."""
    ticket = Ticket.objects.select_related("customer__customer_profile", "category").get(
        pk=ticket_id
    )
    message = Message.objects.filter(pk=message_id).first() if message_id else None
    send_to_customer(ticket, template, {"message": message})
