"""Reads that views and the API share, each already scoped to what the user may see.

Who may read which case (decided in issue 16; README "Who may read what"):

- A customer reads their own cases, never the staff-only parts of them: internal notes,
  the files sent with them, internal events (approvals waiting, votes, panels waiting).
- An agent reads the support tier's cases of their teams, those not routed to a team yet,
  and support cases assigned to them or that they filed for a customer.
- An appeal officer reads every case at the appeal center: it works as one team.
- Approvers (appeal officers and admins) also read a case while a compensation proposal
  on it waits for a second person's approval: that is their four-eyes duty.
- A committee member reads the cases of the panels they sit or sat on (escalation adds
  this through `add_reader`); while a panel sits, the others' votes stay hidden.
- Supervisors are the admins. Any other case they open through a visible "open anyway"
  that records an internal audit event with their reason (`ticket_open_anyway`); the case
  is then theirs to read for OPEN_ANYWAY_HOURS.
- Staff who may read a case read all of it, internal notes included.

Everything that reads cases asks here: the customer's pages, the workbench, the queue
(desk.queue), its bulk actions, the API's list and detail, evidence downloads and previews,
the case file and the committee's pages. A case someone may not read is a 404, whether or
not it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts import roles
from accounts.models import User
from accounts.roles import is_staff_member
from tickets.authority import is_admin
from tickets.models import (
    OPEN_STATUSES,
    STAFF_ONLY_PROPOSALS,
    Attachment,
    Category,
    EventKind,
    Message,
    Resolution,
    Ticket,
    TicketEvent,
    Tier,
)

OPEN_ANYWAY_HOURS = 8

Reader = Callable[[User], Q | None]
_readers: list[Reader] = []


def add_reader(reader: Reader) -> Reader:
    """A higher app says which cases its role reads: a function of the user giving a Q or None.

    escalation registers the committee's (AppConfig.ready), as tickets may not import it.
    """
    _readers.append(reader)
    return reader


def case_scope(user: User, now=None) -> Q:
    """The condition on Ticket that selects the cases `user` may read."""
    nothing = Q(pk__in=[])
    if not user.is_authenticated:
        return nothing
    if not is_staff_member(user):
        return Q(customer=user)
    scope = nothing
    if roles.has_role(user, roles.AGENT):
        scope |= Q(tier=Tier.SUPPORT) & (
            Q(team__in=user.teams.values("pk"))
            | Q(team__isnull=True)
            | Q(assignee=user)
            | Q(filed_by=user)
        )
    if roles.has_role(user, roles.APPEAL_OFFICER):
        scope |= Q(tier=Tier.APPEAL_CENTER)
    admin = is_admin(user)
    if admin or roles.has_role(user, roles.APPEAL_OFFICER):
        waiting = Resolution.objects.filter(state=Resolution.State.PENDING_APPROVAL)
        scope |= Q(pk__in=waiting.values("ticket_id"))
    if admin:
        since = (now or timezone.now()) - timedelta(hours=OPEN_ANYWAY_HOURS)
        opened = TicketEvent.objects.filter(
            kind=EventKind.ACCESS, actor=user, created_at__gte=since
        )
        scope |= Q(pk__in=opened.values("ticket_id"))
    for reader in _readers:
        extra = reader(user)
        if extra is not None:
            scope |= extra
    return scope


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """The cases `user` may read (see the module's docstring)."""
    return Ticket.objects.filter(case_scope(user)).select_related(
        "category", "asset", "network", "assignee", "team"
    )


def ticket_get_for_user(user: User, reference: str) -> Ticket:
    """The case, or 404 whether it does not exist or is not theirs to read: never say which."""
    try:
        return tickets_visible_to(user).get(reference=reference.upper())
    except Ticket.DoesNotExist:
        raise Http404 from None


def ticket_outside_scope(user: User, reference: str) -> Ticket | None:
    """For a supervisor, a case that exists but lies outside their scope (open it anyway?)."""
    if not is_admin(user):
        return None
    ticket = Ticket.objects.filter(reference=reference.upper()).first()
    if ticket is None or tickets_visible_to(user).filter(pk=ticket.pk).exists():
        return None
    return ticket


def ticket_messages_for(user: User, ticket: Ticket) -> QuerySet[Message]:
    messages = ticket.messages.select_related("author").prefetch_related("attachments")
    if not is_staff_member(user):
        messages = messages.filter(internal=False)
    return messages


def votes_secret(ticket: Ticket) -> bool:
    """Until the committee's decision is published, members vote without seeing each other."""
    return not ticket.events.filter(kind=EventKind.DECISION).exists()


def ticket_events_for(user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    events = ticket.events.select_related("actor")
    if not is_staff_member(user):
        # Before issue 16 a file sent with an internal note was recorded by a public event;
        # those rows cannot change (the trail is append-only), so they are left out here.
        internal_files = ticket.attachments.filter(message__internal=True).values_list(
            "pk", flat=True
        )
        return events.filter(internal=False).exclude(
            kind=EventKind.EVIDENCE, data__attachment__in=[str(pk) for pk in internal_files]
        )
    if votes_secret(ticket):
        events = events.exclude(Q(kind=EventKind.VOTE) & ~Q(actor=user))
    return events


# What of an event's data a customer may see, by kind: ids, codes, and what they were shown
# anyway. Never staff emails (assignments), nor what staff wrote for each other (the note
# of an escalation, the reason for a priority or category change).
_CUSTOMER_EVENT_DATA = {
    EventKind.FILED: {"channel", "category"},
    EventKind.MESSAGE: {"message"},
    EventKind.EVIDENCE: {"attachment", "name", "size", "sha256", "received_sha256"},
    EventKind.STATUS: {"reason", "merged_into"},
    EventKind.TIER: {"reason", "appeal"},
    EventKind.SLA: {"targets"},
    EventKind.RESOLUTION: {"resolution", "resolution_kind", "amount", "asset"},
    EventKind.ANSWER: {"resolution", "answer"},
    EventKind.APPEAL: {"appeal", "resolution", "message"},
    EventKind.PANEL: {"state", "size"},
    EventKind.DECISION: {"panel", "decision", "tally"},
    EventKind.MERGED: {"into", "merged"},
}
# Staff-only reasons recorded with a status or tier change: codes are shown, text is not.
_REASON_CODES = {"manual", "appeal", "sla_breach", "committee_decision", "appeal_window_ended"}


def event_data_for(user: User, event: TicketEvent, *, secret_votes: bool) -> dict:
    """The part of an event's data `user` may read (the case file's timeline.json)."""
    data = dict(event.data)
    if not is_staff_member(user):
        shown = {k: v for k, v in data.items() if k in _CUSTOMER_EVENT_DATA.get(event.kind, ())}
        if event.kind == EventKind.TIER and shown.get("reason") not in _REASON_CODES:
            shown.pop("reason", None)
        return shown
    if secret_votes and event.kind == EventKind.PANEL:
        data.pop("tally", None)  # how an undecided panel split tells members the others' votes
    return data


def ticket_attachments_for(user: User, ticket: Ticket) -> QuerySet[Attachment]:
    attachments = ticket.attachments.select_related("message")
    if not is_staff_member(user):
        # Files sent with an internal note stay internal.
        attachments = attachments.filter(Q(message__isnull=True) | Q(message__internal=False))
    return attachments


def attachment_get_for_user(user: User, attachment_id) -> Attachment:
    """An evidence file of a case `user` may read, and not staff-only for a customer; else 404."""
    try:
        attachment = Attachment.objects.select_related("ticket", "message").get(
            pk=attachment_id, ticket__in=Ticket.objects.filter(case_scope(user)).values("pk")
        )
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not is_staff_member(user) and attachment.message is not None and attachment.message.internal:
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
    if ticket.status != "resolution_proposed":
        return None
    return (
        ticket.resolutions.filter(state=Resolution.State.PROPOSED).select_related("asset").first()
    )
