"""Reads that views and the API share, each already scoped to what the user may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User
from accounts.roles import is_staff_member
from tickets.models import (
    OPEN_STATUSES,
    STAFF_ONLY_PROPOSALS,
    Attachment,
    Category,
    Message,
    Ticket,
    TicketEvent,
)


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """A customer sees their own cases; staff see every case (teams narrow the queue, not access)."""
    tickets = Ticket.objects.select_related("category", "asset", "network", "assignee", "team")
    if is_staff_member(user):
        return tickets
    return tickets.filter(customer=user)


def ticket_get_for_user(user: User, reference: str) -> Ticket:
    """The case, or 404 whether it does not exist or belongs to someone else: never say which."""
    try:
        return tickets_visible_to(user).get(reference=reference.upper())
    except Ticket.DoesNotExist:
        raise Http404 from None


def ticket_messages_for(user: User, ticket: Ticket) -> QuerySet[Message]:
    messages = ticket.messages.select_related("author").prefetch_related("attachments")
    if not is_staff_member(user):
        messages = messages.filter(internal=False)
    return messages


def ticket_events_for(user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    events = ticket.events.select_related("actor")
    if not is_staff_member(user):
        events = events.filter(internal=False)
    return events


def ticket_attachments_for(user: User, ticket: Ticket) -> QuerySet[Attachment]:
    attachments = ticket.attachments.select_related("message")
    if not is_staff_member(user):
        # Files sent with an internal note stay internal.
        attachments = attachments.filter(Q(message__isnull=True) | Q(message__internal=False))
    return attachments


def attachment_get_for_user(user: User, attachment_id) -> Attachment:
    try:
        attachment = Attachment.objects.select_related("ticket", "message").get(pk=attachment_id)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if is_staff_member(user):
        return attachment
    if attachment.ticket.customer_id != user.pk or (
        attachment.message is not None and attachment.message.internal
    ):
        raise Http404
    return attachment


def open_duplicates(customer: User, *, txid: str = "", order_id: str = "") -> QuerySet[Ticket]:
    """The customer's open cases about the same transaction or order."""
    match = Q()
    if txid:
        match |= Q(txid__iexact=txid)
    if order_id:
        match |= Q(order_id=order_id)
    if not match:
        return Ticket.objects.none()
    return Ticket.objects.filter(match, customer=customer, status__in=OPEN_STATUSES).order_by(
        "-created_at"
    )


def active_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True)


def ticket_proposals_for(user: User, ticket: Ticket) -> QuerySet:
    """Every proposal of the case, oldest first; one that never reached the customer (waiting
    for its second approval, or sent back) is staff's."""
    proposals = ticket.resolutions.select_related("asset")
    if not is_staff_member(user):
        proposals = proposals.exclude(state__in=STAFF_ONLY_PROPOSALS)
    return proposals


def open_proposal(ticket: Ticket):
    """The proposal the customer can answer now, if any (never one still awaiting approval)."""
    from tickets.models import Resolution

    if ticket.status != "resolution_proposed":
        return None
    return (
        ticket.resolutions.filter(state=Resolution.State.PROPOSED).select_related("asset").first()
    )
