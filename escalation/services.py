"""The resolution lifecycle above the desk: approval, acceptance, appeals and the committee."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import User
from escalation.bulk import update_rows
from escalation.models import Appeal, Panel, PanelSeat, Verdict, Vote
from escalation.tiers import raise_tier
from evidence.files import check_files
from evidence.secret_guard import refuse_secrets
from outbox import relay as outbox
from sla import clock
from tickets import authority, regulator, search, transitions
from tickets import services as tickets
from tickets.exceptions import InvalidTransition, NotAllowed
from tickets.models import EventKind, Message, Resolution, Status, Ticket, TicketEvent, Tier
from tickets.services import NOTIFY


@transaction.atomic
def ticket_escalate(*, ticket: Ticket, actor: User, reason: str) -> Ticket:
    """Move the case up a tier by hand (a stolen account, a large loss), with the reason."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    tickets.require_staff(ticket, actor, "escalate")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the case goes up a tier.")}, code="required")
    events = raise_tier(
        ticket,
        now=timezone.now(),
        book=clock.PolicyBook.cached(),
        actor=actor,
        data={"reason": "manual", "note": reason, **tickets.correction_data(ticket, actor)},
    )
    TicketEvent.objects.bulk_create(events)
    ticket.save(update_fields=["tier", "status", "assignee", "updated_at", *clock.SLA_FIELDS])
    outbox.enqueue(NOTIFY, "escalated", [ticket.pk])
    if ticket.tier == Tier.DISPUTE_COMMITTEE:
        _draw_later(ticket.pk)
    return ticket


def _pending_for(resolution_id: int, approver) -> tuple[Resolution, Ticket]:
    """The locked proposal and case a second person may approve or send back, or refused."""
    # Ticket first, then the resolution: the order every other service locks them in.
    ticket_id = Resolution.objects.values_list("ticket_id", flat=True).get(pk=resolution_id)
    ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
    resolution = Resolution.objects.select_for_update().get(pk=resolution_id)
    # Not at the committee: a proposal left waiting below it would decide in the panel's place.
    tickets.require_staff(ticket, approver, "approve_resolution")
    if approver.pk == resolution.proposed_by_id:
        raise NotAllowed(_("Someone other than the proposer must approve it."))
    if resolution.state != Resolution.State.PENDING_APPROVAL:
        raise InvalidTransition(_("This proposal is not waiting for approval."))
    return resolution, ticket


@transaction.atomic
def resolution_approve(*, resolution_id: int, approver) -> Resolution:
    """Four eyes: an appeal officer or admin other than the proposer lets the customer see it."""
    resolution, ticket = _pending_for(resolution_id, approver)
    transitions.check(ticket, "propose_resolution", transitions.STAFF)
    resolution.state = Resolution.State.PROPOSED
    resolution.approved_by = approver
    resolution.save(update_fields=["state", "approved_by"])
    TicketEvent.objects.create(
        ticket=ticket,
        actor=approver,
        kind=EventKind.APPROVAL,
        internal=True,
        data={"resolution": resolution.pk, **tickets.correction_data(ticket, approver)},
    )
    tickets.publish_proposal(ticket, resolution)
    return resolution


@transaction.atomic
def resolution_send_back(*, resolution_id: int, approver, reason: str) -> Resolution:
    """The second person does not approve: the proposal returns to its author with the reason.

    The customer never saw it and sees nothing now; the author proposes again, changed.
    """
    resolution, ticket = _pending_for(resolution_id, approver)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say what the author should change.")}, code="required")
    resolution.state = Resolution.State.SENT_BACK
    resolution.save(update_fields=["state"])
    TicketEvent.objects.create(
        ticket=ticket,
        actor=approver,
        kind=EventKind.SENT_BACK,
        internal=True,
        data={"resolution": resolution.pk, "reason": reason},
    )
    ticket.save(update_fields=["updated_at"])
    return resolution


def _close_open_appeal(ticket: Ticket, now) -> None:
    Appeal.objects.filter(ticket=ticket, state=Appeal.State.OPEN).update(
        state=Appeal.State.DECIDED, closed_at=now
    )


@transaction.atomic
def resolution_accept(*, ticket: Ticket, actor=None) -> Ticket:
    """The customer accepts (or, with no actor, the answer window ran out): resolved.

    The resolution target is met; the case may still be appealed until the window ends.
    """
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    kind = transitions.CUSTOMER if actor is not None else transitions.SYSTEM
    if actor is not None and actor.pk != ticket.customer_id:
        raise NotAllowed(_("Only the customer can accept a proposal."))
    transitions.check(ticket, "accept_resolution", kind)
    now = timezone.now()
    resolution = ticket.resolutions.get(state=Resolution.State.PROPOSED)
    resolution.state = Resolution.State.ACCEPTED
    resolution.answered_at = now
    resolution.save(update_fields=["state", "answered_at"])
    TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        kind=EventKind.ANSWER,
        data={
            "resolution": resolution.pk,
            "answer": "accepted" if actor else "accepted_by_timeout",
        },
    )
    tickets.set_status(ticket, actor, Status.RESOLVED)
    ticket.resolved_at = now
    ticket.lifecycle_due_at = now + timedelta(days=settings.REDRESS_APPEAL_WINDOW_DAYS)
    regulator.stop(ticket, now)
    changed = [*tickets.clock_tick(ticket, tickets.stop_resolved, now=now), *regulator.FIELDS]
    _close_open_appeal(ticket, now)
    ticket.save(update_fields=["status", "resolved_at", "lifecycle_due_at", "updated_at", *changed])
    outbox.enqueue(NOTIFY, "resolution_accepted", resolution.pk)
    return ticket


@transaction.atomic
def appeal_file(*, ticket: Ticket, customer, reason: str, files=()) -> Appeal:
    """The customer disputes a proposal or appeals a rejection: the next tier takes it over."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if customer.pk != ticket.customer_id:
        raise NotAllowed(_("Only the customer can appeal."))
    transitions.check(ticket, "appeal", transitions.CUSTOMER)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Tell us what you disagree with.")}, code="required")
    refuse_secrets({"reason": reason})
    checked = check_files(files)
    tickets.check_room(ticket, len(checked), "files")
    now = timezone.now()
    if (
        ticket.status == Status.REJECTED
        and ticket.lifecycle_due_at
        and ticket.lifecycle_due_at <= now
    ):
        raise InvalidTransition(_("The appeal window for this case has ended."))
    disputed = ticket.resolutions.filter(state=Resolution.State.PROPOSED).first()
    if disputed:
        disputed.state = Resolution.State.DISPUTED
        disputed.answered_at = now
        disputed.dispute_reason = reason
        disputed.save(update_fields=["state", "answered_at", "dispute_reason"])
    _close_open_appeal(ticket, now)
    appeal = Appeal.objects.create(
        ticket=ticket,
        resolution=disputed,
        from_tier=ticket.tier,
        to_tier=transitions.next_tier(ticket.tier),
        reason=reason,
    )
    message = Message.objects.create(ticket=ticket, author=customer, body=reason)
    TicketEvent.objects.create(
        ticket=ticket,
        actor=customer,
        kind=EventKind.APPEAL,
        data={
            "appeal": appeal.pk,
            "resolution": disputed.pk if disputed else None,
            "message": message.pk,
        },
    )
    tickets.store_evidence(ticket, customer, checked, message)
    events = raise_tier(
        ticket,
        now=now,
        book=clock.PolicyBook.cached(),
        actor=customer,
        data={"reason": "appeal", "appeal": appeal.pk},
    )
    TicketEvent.objects.bulk_create(events)
    ticket.lifecycle_due_at = None
    # An appealed rejection was not the final decision: the deadline runs again.
    regulator.reopen(ticket, now)
    ticket.save(
        update_fields=[
            "tier",
            "status",
            "assignee",
            "lifecycle_due_at",
            "updated_at",
            *clock.SLA_FIELDS,
            *regulator.FIELDS,
        ]
    )
    search.reindex(ticket.pk)
    if ticket.tier == Tier.DISPUTE_COMMITTEE:
        _draw_later(ticket.pk)
    outbox.enqueue(NOTIFY, "appeal_filed", appeal.pk)
    return appeal


def _draw_later(ticket_id: int) -> None:
    outbox.enqueue("escalation.tasks.draw_panels", [ticket_id])


def handled_by(tickets: list[Ticket]) -> dict[int, set[int]]:
    """Everyone who touched each case below the committee: they may not sit on its panel.

    A few queries for the whole set, whatever its size (the sweep draws hundreds at once).
    """
    ids = [ticket.pk for ticket in tickets]
    people: dict[int, set[int]] = {ticket.pk: {ticket.assignee_id} for ticket in tickets}
    pairs = list(
        TicketEvent.objects.filter(ticket_id__in=ids, actor__isnull=False)
        .values_list("ticket_id", "actor_id")
        .distinct()
    )
    pairs += (
        Message.objects.filter(ticket_id__in=ids, author__isnull=False)
        .values_list("ticket_id", "author_id")
        .distinct()
    )
    for ticket_id, proposer, approver in Resolution.objects.filter(ticket_id__in=ids).values_list(
        "ticket_id", "proposed_by_id", "approved_by_id"
    ):
        pairs += [(ticket_id, proposer), (ticket_id, approver)]
    # An assignment event names the assignee by email (it outlives a renamed account).
    assigned = [
        (ticket_id, data.get("assignee"))
        for ticket_id, data in TicketEvent.objects.filter(
            ticket_id__in=ids, kind=EventKind.ASSIGNED
        ).values_list("ticket_id", "data")
    ]
    by_email = dict(
        User.objects.filter(email__in={email for _, email in assigned if email}).values_list(
            "email", "pk"
        )
    )
    pairs += [(ticket_id, by_email.get(email)) for ticket_id, email in assigned]
    for ticket_id, person in pairs:
        people[ticket_id].add(person)
    for found in people.values():
        found.discard(None)
    return people


@transaction.atomic
def panel_draw(*, ticket: Ticket) -> Panel:
    """Seat an odd number of independent committee members, or wait visibly and alert admins.

    Safe to call again: a sitting panel is returned as it is; a waiting one tries again.
    """
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.tier != Tier.DISPUTE_COMMITTEE:
        raise InvalidTransition(_("Only cases at the Dispute Committee get a panel."))
    return _draw([ticket])[ticket.pk]


@transaction.atomic
def panel_draw_many(*, ticket_ids: list[int]) -> dict[int, Panel]:
    """`panel_draw` for a set of cases in one transaction: the draw task's and the sweep's.

    Cases someone else holds locked are skipped (SKIP LOCKED), as are cases no longer at
    the committee; the sweep's panel retry finds any case left without a panel.
    """
    tickets = list(
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=ticket_ids, tier=Tier.DISPUTE_COMMITTEE)
        .order_by("pk")
        .only("id", "tier", "assignee")
    )
    return _draw(tickets)


def _draw(tickets: list[Ticket]) -> dict[int, Panel]:
    """The panel of each locked committee case: its sitting one, or a new draw.

    A new panel without enough independent members waits, with one event and one admin
    alert; a waiting one is drawn again silently until enough are there.
    """
    panels = {
        panel.ticket_id: panel
        for panel in Panel.objects.filter(ticket__in=tickets).exclude(state=Panel.State.DECIDED)
    }
    to_draw = [
        ticket
        for ticket in tickets
        if ticket.pk not in panels or panels[ticket.pk].state == Panel.State.WAITING
    ]
    if not to_draw:
        return panels
    size = settings.REDRESS_PANEL_SIZE
    members = set(
        User.objects.filter(groups__name=roles.COMMITTEE, is_active=True).values_list(
            "pk", flat=True
        )
    )
    excluded = handled_by(to_draw)
    created = Panel.objects.bulk_create(
        [Panel(ticket_id=t.pk, size=size) for t in to_draw if t.pk not in panels]
    )
    panels.update((panel.ticket_id, panel) for panel in created)
    new = {panel.ticket_id for panel in created}
    chance = random.SystemRandom()
    seats, seated, events, calls = [], [], [], []
    for ticket in to_draw:
        panel = panels[ticket.pk]
        candidates = sorted(members - excluded[ticket.pk])
        if len(candidates) < size:
            if ticket.pk in new:
                events.append(
                    TicketEvent(
                        ticket_id=ticket.pk,
                        kind=EventKind.PANEL,
                        internal=True,
                        data={
                            "state": "waiting",
                            "independent_members": len(candidates),
                            "needed": size,
                        },
                    )
                )
                calls.append((NOTIFY, ("panel_waiting", panel.pk)))
            continue
        chosen = chance.sample(candidates, size)
        seats += [PanelSeat(panel=panel, member_id=pk) for pk in chosen]
        panel.state = Panel.State.SITTING
        panel.chair_id = chosen[0]  # drawn at random like the seats
        seated.append((panel.pk, panel.state, panel.chair_id))
        events.append(
            TicketEvent(
                ticket_id=ticket.pk, kind=EventKind.PANEL, data={"state": "sitting", "size": size}
            )
        )
        calls.append((NOTIFY, ("panel_seated", panel.pk)))
    PanelSeat.objects.bulk_create(seats)
    update_rows(Panel, ["state", "chair"], seated)
    TicketEvent.objects.bulk_create(events)
    outbox.enqueue_all(calls)
    return panels


@transaction.atomic
def vote_cast(*, ticket: Ticket, member, decision: str, rationale: str, remedy: str = "") -> Vote:
    """One vote per member, revisable until a majority agrees."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    authority.require(member, ticket.tier, authority.VOTE)
    panel = _member_panel(ticket, member)
    if panel.state == Panel.State.DECIDED:
        raise InvalidTransition(_("The decision is published; votes can no longer change."))
    if panel.state == Panel.State.DRAFTING:
        raise InvalidTransition(_("A majority has decided; votes can no longer change."))
    errors = {}
    if decision not in Verdict.values:
        errors["decision"] = [_("Choose uphold, modify or overturn.")]
    try:
        rationale, remedy = _check_decision_text(decision, rationale, remedy)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    vote, _created = Vote.objects.update_or_create(
        panel=panel,
        member=member,
        defaults={"decision": decision, "rationale": rationale, "remedy": remedy},
    )
    # The trail says that a member voted, not how: other members must not see it before
    # the decision is published (the vote itself is in Vote).
    TicketEvent.objects.create(
        ticket=ticket, actor=member, kind=EventKind.VOTE, internal=True, data={"panel": panel.pk}
    )
    _decide_if_ready(ticket, panel)
    return vote


def _member_panel(ticket: Ticket, member) -> Panel:
    """The locked panel of the case that `member` sits on, or NotAllowed."""
    panel = (
        Panel.objects.select_for_update()
        .filter(
            ticket=ticket,
            state__in=[Panel.State.SITTING, Panel.State.DRAFTING, Panel.State.DECIDED],
        )
        .order_by("-created_at")
        .first()
    )
    if panel is None or not panel.seats.filter(member=member).exists():
        raise NotAllowed(_("Only members of this case's panel vote on it."))
    return panel


def _check_decision_text(decision: str, rationale: str, remedy: str) -> tuple[str, str]:
    rationale, remedy = rationale.strip(), remedy.strip()
    errors = {}
    if not rationale:
        errors["rationale"] = _("Write the reasons for your vote.")
    if decision in (Verdict.MODIFY, Verdict.OVERTURN) and not remedy:
        errors["remedy"] = _("Say what the remedy is.")
    if errors:
        raise ValidationError(errors)
    # Upholding changes nothing: a remedy left in the box must not be published.
    return rationale, "" if decision == Verdict.UPHOLD else remedy


def _decide_if_ready(ticket: Ticket, panel: Panel) -> None:
    """Once a majority agrees, one of it writes the decision; nothing is published yet."""
    votes = list(panel.votes.order_by("created_at", "id"))
    if len(votes) < panel.size:
        return
    tally = Counter(vote.decision for vote in votes)
    decision, count = tally.most_common(1)[0]
    if count * 2 <= panel.size:
        # No majority (e.g. one vote each): members revise their votes until one emerges.
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.PANEL,
            internal=True,
            data={"state": "no_majority", "tally": dict(tally)},
        )
        return
    majority = [vote for vote in votes if vote.decision == decision]
    chair_vote = next((v for v in majority if v.member_id == panel.chair_id), None)
    drafted_from = chair_vote or majority[0]
    panel.state = Panel.State.DRAFTING
    panel.decision = decision
    panel.drafter_id = drafted_from.member_id
    # The draft starts from the drafter's own vote; they edit it into the panel's words.
    panel.rationale, panel.remedy = drafted_from.rationale, drafted_from.remedy
    panel.save(update_fields=["state", "decision", "drafter", "rationale", "remedy"])
    TicketEvent.objects.create(
        ticket=ticket,
        kind=EventKind.PANEL,
        internal=True,
        data={"state": "drafting", "decision": decision, "tally": dict(tally)},
    )


@transaction.atomic
def decision_publish(*, ticket: Ticket, member, rationale: str, remedy: str = "") -> Panel:
    """The majority's decision goes out in one text and one remedy, as its drafter wrote it.

    Final: the case closes. The votes, the dissent among them, stay in the record.
    """
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    panel = _member_panel(ticket, member)
    if panel.state == Panel.State.DECIDED:
        raise InvalidTransition(_("The decision is already published."))
    if panel.state != Panel.State.DRAFTING:
        raise InvalidTransition(_("The panel has no majority yet."))
    if member.pk != panel.drafter_id:
        raise NotAllowed(_("Only the member writing the decision publishes it."))
    transitions.check(ticket, "decide", transitions.SYSTEM)
    panel.rationale, panel.remedy = _check_decision_text(panel.decision, rationale, remedy)
    now = timezone.now()
    panel.state = Panel.State.DECIDED
    panel.decided_at = now
    panel.save(update_fields=["state", "rationale", "remedy", "decided_at"])
    tally = dict(Counter(panel.votes.values_list("decision", flat=True)))
    # The system publishes it (DESIGN.md): no member's name goes with the decision.
    TicketEvent.objects.create(
        ticket=ticket,
        kind=EventKind.DECISION,
        data={"panel": panel.pk, "decision": panel.decision, "tally": tally},
    )
    tickets.set_status(ticket, None, Status.CLOSED, reason="committee_decision")
    ticket.closed_at = ticket.resolved_at = now
    ticket.lifecycle_due_at = None
    regulator.stop(ticket, now)
    changed = [*tickets.clock_tick(ticket, tickets.stop_resolved, now=now), *regulator.FIELDS]
    _close_open_appeal(ticket, now)
    ticket.save(
        update_fields=[
            "status",
            "closed_at",
            "resolved_at",
            "lifecycle_due_at",
            "updated_at",
            *changed,
        ]
    )
    outbox.enqueue(NOTIFY, "decision_published", panel.pk)
    return panel


@transaction.atomic
def ticket_close_after_window(*, ticket: Ticket) -> Ticket:
    """A resolved or rejected case whose appeal window ended becomes a read-only record."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    transitions.check(ticket, "close_after_window", transitions.SYSTEM)
    now = timezone.now()
    tickets.set_status(ticket, None, Status.CLOSED, reason="appeal_window_ended")
    ticket.closed_at = now
    ticket.lifecycle_due_at = None
    ticket.save(update_fields=["status", "closed_at", "lifecycle_due_at", "updated_at"])
    return ticket
