"""What happened, and who hears of it by mail.

Tickets and escalation sit below mail and cannot import it: their services record what
happened as `outbox.enqueue("mail.tasks.notify", "<event>", *ids)`, and each event here
turns the ids into the mails to send, with a key that names the event (and recipient),
so the same event never mails anyone twice. The ids are looked up when the task runs;
an event that can no longer be found (a rolled-back change never sends, so this is a
row deleted since) sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import Q

from accounts import roles
from accounts.models import User
from escalation.models import Appeal, Panel
from mail.compose import Outgoing, site_link
from tickets.models import Attachment, Message, Resolution, Ticket, Tier

Handler = Callable[..., list[Outgoing]]
EVENTS: dict[str, Handler] = {}


def event(function: Handler) -> Handler:
    EVENTS[function.__name__] = function
    return function


_CASE = ("customer__customer_profile", "category", "assignee", "team")


def _tickets(ids: Iterable[int]):
    return Ticket.objects.filter(pk__in=list(ids)).select_related(*_CASE).order_by("pk")


def _customer(key: str, kind: str, template: str, ticket: Ticket, **context) -> Outgoing:
    return Outgoing(key, kind, template, ticket.customer, ticket, context)


def _staff(key: str, kind: str, template: str, people, ticket: Ticket, **context):
    return [
        Outgoing(f"{key}:to:{person.pk}", kind, template, person, ticket, context)
        for person in people
    ]


def _admins():
    return (
        User.objects.filter(Q(is_superuser=True) | Q(groups__name=roles.ADMIN), is_active=True)
        .distinct()
        .order_by("pk")
    )


def _message(message_id: int) -> Message | None:
    return (
        Message.objects.select_related(*(f"ticket__{name}" for name in _CASE), "author")
        .filter(pk=message_id)
        .first()
    )


@event
def ticket_filed(ticket_ids: list[int] | int) -> list[Outgoing]:
    """The receipts of a set of filings (outbox.relay.enqueue_in_set); one id from a call
    recorded before receipts went in sets."""
    ids = [ticket_ids] if isinstance(ticket_ids, int) else ticket_ids
    return [
        _customer(f"ticket_filed:{t.pk}", "received", "ticket_received", t) for t in _tickets(ids)
    ]


def _conversation(message_id: int, kind: str, prefix: str) -> list[Outgoing]:
    message = _message(message_id)
    if message is None or message.internal:
        return []
    return [
        _customer(f"{prefix}:{message.pk}", kind, "staff_reply", message.ticket, message=message)
    ]


@event
def staff_replied(message_id: int) -> list[Outgoing]:
    return _conversation(message_id, "reply", "staff_replied")


@event
def info_requested(message_id: int) -> list[Outgoing]:
    return _conversation(message_id, "info_request", "info_requested")


@event
def ticket_rejected(message_id: int) -> list[Outgoing]:
    return _conversation(message_id, "rejection", "ticket_rejected")


@event
def customer_wrote(message_id: int) -> list[Outgoing]:
    """The assignee hears of the customer's reply (the queue shows it to the rest)."""
    message = _message(message_id)
    if message is None or message.ticket.assignee is None:
        return []
    ticket = message.ticket
    files = list(message.attachments.all())
    return _staff(
        f"customer_wrote:{message.pk}",
        "customer_wrote",
        "customer_wrote",
        [ticket.assignee],
        ticket,
        message=message,
        files=files,
    )


@event
def evidence_added(attachment_ids: list[str]) -> list[Outgoing]:
    files = list(
        Attachment.objects.filter(pk__in=attachment_ids)
        .select_related(*(f"ticket__{name}" for name in _CASE))
        .order_by("created_at", "id")
    )
    if not files or files[0].ticket.assignee is None:
        return []
    ticket = files[0].ticket
    return _staff(
        f"evidence_added:{files[0].pk}",
        "customer_wrote",
        "evidence_added",
        [ticket.assignee],
        ticket,
        files=files,
    )


@event
def resolution_proposed(resolution_id: int, message_id: int) -> list[Outgoing]:
    message = _message(message_id)
    if message is None:
        return []
    return [
        _customer(
            f"resolution_proposed:{resolution_id}",
            "proposal",
            "resolution_proposed",
            message.ticket,
            message=message,
        )
    ]


@event
def approval_waiting(resolution_id: int) -> list[Outgoing]:
    """Everyone who may approve it: appeal officers and admins other than the proposer."""
    resolution = (
        Resolution.objects.select_related("ticket", "asset", "proposed_by")
        .filter(pk=resolution_id, state=Resolution.State.PENDING_APPROVAL)
        .first()
    )
    if resolution is None:
        return []  # approved or withdrawn before the mail went: nothing waits any more
    approvers = (
        User.objects.filter(
            Q(is_superuser=True) | Q(groups__name__in=[roles.APPEAL_OFFICER, roles.ADMIN]),
            is_active=True,
        )
        .exclude(pk=resolution.proposed_by_id)
        .distinct()
        .order_by("pk")
    )
    return _staff(
        f"approval_waiting:{resolution.pk}",
        "approval_waiting",
        "approval_waiting",
        approvers,
        resolution.ticket,
        resolution=resolution,
        approvals_url=site_link("staff:approvals"),
    )


@event
def resolution_accepted(resolution_id: int) -> list[Outgoing]:
    resolution = Resolution.objects.filter(pk=resolution_id).first()
    if resolution is None:
        return []
    return [
        _customer(f"resolution_accepted:{resolution.pk}", "resolved", "resolution_accepted", t)
        for t in _tickets([resolution.ticket_id])
    ]


def _tier_key(ticket: Ticket, event: str) -> str:
    """A case reaches each tier once (tiers only go up), so the tier names the event.

    Reaching the committee is one piece of news for the customer, however it is told
    (the case moved up, their appeal went there, its panel sits): one mail, whichever
    comes first. Referring a case to the committee used to send two within a second.
    """
    if ticket.tier == Tier.DISPUTE_COMMITTEE:
        return f"reached_committee:{ticket.pk}"
    return f"{event}:{ticket.pk}:{ticket.tier}"


@event
def escalated(ticket_ids: list[int]) -> list[Outgoing]:
    return [
        _customer(_tier_key(t, "escalated"), "escalated", "escalated", t)
        for t in _tickets(ticket_ids)
    ]


@event
def appeal_filed(appeal_id: int) -> list[Outgoing]:
    appeal = Appeal.objects.filter(pk=appeal_id).first()
    if appeal is None:
        return []
    return [
        _customer(_tier_key(t, "appeal_filed"), "appeal", "appeal_received", t)
        for t in _tickets([appeal.ticket_id])
    ]


@event
def panel_seated(panel_id: int) -> list[Outgoing]:
    """The customer hears that a panel sits; each member that they were drawn onto it."""
    panel = Panel.objects.filter(pk=panel_id).first()
    if panel is None:
        return []
    (ticket,) = _tickets([panel.ticket_id])
    members = panel.members.order_by("pk")
    return [
        _customer(_tier_key(ticket, "panel_seated"), "panel", "panel_drawn", ticket),
        *_staff(
            f"panel_seated:{panel.pk}",
            "panel_seat",
            "panel_seat",
            members,
            ticket,
            panel_url=site_link("staff:committee_case", ticket.reference),
        ),
    ]


@event
def panel_waiting(panel_id: int) -> list[Outgoing]:
    panel = Panel.objects.filter(pk=panel_id).first()
    if panel is None:
        return []
    (ticket,) = _tickets([panel.ticket_id])
    return _staff(
        f"panel_waiting:{panel.pk}", "panel_waiting", "no_independent_panel", _admins(), ticket
    )


@event
def decision_published(panel_id: int) -> list[Outgoing]:
    panel = Panel.objects.filter(pk=panel_id, state=Panel.State.DECIDED).first()
    if panel is None:
        return []
    return [
        _customer(f"decision_published:{panel.pk}", "decision", "decision_published", t)
        for t in _tickets([panel.ticket_id])
    ]


def _leads(ticket: Ticket, leads: dict[int, list]) -> list:
    """The active leads of the case's team (accounts.Team.leads), looked up once per team."""
    if ticket.team_id is None:
        return []
    if ticket.team_id not in leads:
        leads[ticket.team_id] = list(ticket.team.leads.filter(is_active=True).order_by("pk"))
    return leads[ticket.team_id]


@event
def last_tier_breached(ticket_ids: list[int]) -> list[Outgoing]:
    """No tier above the committee: its team's leads and the admins are told (once per breach)."""
    admins, leads = list(_admins()), {}
    outgoing = []
    for ticket in _tickets(ticket_ids):
        people = list({p.pk: p for p in [*_leads(ticket, leads), *admins]}.values())
        breached = ",".join(sorted(ticket.sla_breached))
        key = f"last_tier_breached:{ticket.pk}:{ticket.tier}:{breached}"
        outgoing += _staff(key, "last_tier_breach", "committee_breached", people, ticket)
    return outgoing


@event
def decision_due(ticket_ids: list[int]) -> list[Outgoing]:
    """The regulator's final-decision deadline is near: whoever works the case and its
    team's leads (once per case: the sweep warns once)."""
    outgoing, teams, leads = [], {}, {}
    for ticket in _tickets(ticket_ids):
        if ticket.assignee_id:
            workers = [ticket.assignee]
        elif ticket.team_id:
            if ticket.team_id not in teams:
                teams[ticket.team_id] = list(
                    ticket.team.members.filter(is_active=True).order_by("pk")
                )
            workers = teams[ticket.team_id]
        else:
            workers = []
        people = list({p.pk: p for p in [*workers, *_leads(ticket, leads)]}.values())
        outgoing += _staff(
            f"decision_due:{ticket.pk}", "decision_due", "decision_due", people, ticket
        )
    return outgoing


@event
def deadline_close(ticket_ids: list[int]) -> list[Outgoing]:
    """The assignee, or with nobody assigned every member of the case's team."""
    outgoing, teams = [], {}
    for ticket in _tickets(ticket_ids):
        if ticket.assignee_id:
            people = [ticket.assignee]
        elif ticket.team_id:
            if ticket.team_id not in teams:
                teams[ticket.team_id] = list(
                    ticket.team.members.filter(is_active=True).order_by("pk")
                )
            people = teams[ticket.team_id]
        else:
            continue
        warned = ",".join(sorted(ticket.sla_warned))
        key = f"deadline_close:{ticket.pk}:{ticket.tier}:{warned}"
        outgoing += _staff(key, "deadline_close", "deadline_close", people, ticket)
    return outgoing
