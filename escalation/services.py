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
from escalation.models import Appeal, Panel, PanelSeat, Verdict, Vote
from escalation.tiers import raise_tier
from evidence.files import check_files
from evidence.secret_guard import refuse_secrets
from outbox import relay as outbox
from sla import clock
from tickets import regulator, search, transitions
from tickets import services as tickets
from tickets.exceptions import InvalidTransition, NotAllowed
from tickets.models import EventKind, Message, Resolution, Status, Ticket, TicketEvent, Tier


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
        book=clock.PolicyBook.load(),
        actor=actor,
        data={"reason": "manual", "note": reason},
    )
    TicketEvent.objects.bulk_create(events)
    ticket.save(update_fields=["tier", "status", "assignee", "updated_at", *clock.SLA_FIELDS])

    from escalation.tasks import notify_escalated

    outbox.enqueue(notify_escalated, [ticket.pk])
    if ticket.tier == Tier.DISPUTE_COMMITTEE:
        _draw_later(ticket.pk)
    return ticket


@transaction.atomic
def resolution_approve(*, resolution_id: int, approver) -> Resolution:
    """Four eyes: an appeal officer or admin other than the proposer lets the customer see it."""
    resolution = Resolution.objects.select_for_update().get(pk=resolution_id)
    ticket = Ticket.objects.select_for_update().get(pk=resolution.ticket_id)
    if not (
        roles.has_role(approver, roles.APPEAL_OFFICER)
        or roles.has_role(approver, roles.ADMIN)
        or approver.is_superuser
    ):
        raise NotAllowed(_("Only appeal officers and admins approve compensation."))
    if approver.pk == resolution.proposed_by_id:
        raise NotAllowed(_("Someone other than the proposer must approve it."))
    if resolution.state != Resolution.State.PENDING_APPROVAL:
        raise InvalidTransition(_("This proposal is not waiting for approval."))
    transitions.check(ticket, "propose_resolution", transitions.STAFF)
    resolution.state = Resolution.State.PROPOSED
    resolution.approved_by = approver
    resolution.save(update_fields=["state", "approved_by"])
    TicketEvent.objects.create(
        ticket=ticket,
        actor=approver,
        kind=EventKind.APPROVAL,
        internal=True,
        data={"resolution": resolution.pk},
    )
    tickets.publish_proposal(ticket, resolution)
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
    _mail(ticket.pk, "resolution_accepted")
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
        book=clock.PolicyBook.load(),
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
    _mail(ticket.pk, "appeal_received")
    return appeal


def _mail(ticket_id: int, template: str, message_id: int | None = None) -> None:
    from tickets.tasks import send_customer_mail

    outbox.enqueue(send_customer_mail, ticket_id, template, message_id)


def _draw_later(ticket_id: int) -> None:
    from escalation.tasks import draw_panels

    outbox.enqueue(draw_panels, [ticket_id])


def handled_by(ticket: Ticket) -> set[int]:
    """Everyone who touched the case below the committee: they may not sit on its panel."""
    people = set(ticket.events.exclude(actor=None).values_list("actor_id", flat=True))
    people |= set(ticket.messages.exclude(author=None).values_list("author_id", flat=True))
    for proposer, approver in ticket.resolutions.values_list("proposed_by_id", "approved_by_id"):
        people |= {proposer, approver}
    assignees = {
        event.data.get("assignee") for event in ticket.events.filter(kind=EventKind.ASSIGNED)
    }
    people |= set(
        User.objects.filter(email__in=[a for a in assignees if a]).values_list("pk", flat=True)
    )
    if ticket.assignee_id:
        people.add(ticket.assignee_id)
    people.discard(None)
    return people


@transaction.atomic
def panel_draw(*, ticket: Ticket) -> Panel:
    """Seat an odd number of independent committee members, or wait visibly and alert admins.

    Safe to call again: a sitting panel is returned as it is; a waiting one tries again.
    """
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.tier != Tier.DISPUTE_COMMITTEE:
        raise InvalidTransition(_("Only cases at the Dispute Committee get a panel."))
    panel = Panel.objects.filter(ticket=ticket).exclude(state=Panel.State.DECIDED).first()
    if panel and panel.state == Panel.State.SITTING:
        return panel
    size = settings.REDRESS_PANEL_SIZE
    excluded = handled_by(ticket)
    candidates = list(
        User.objects.filter(groups__name=roles.COMMITTEE, is_active=True)
        .exclude(pk__in=excluded)
        .values_list("pk", flat=True)
        .distinct()
    )
    created = panel is None
    if created:
        panel = Panel.objects.create(ticket=ticket, size=size)
    if len(candidates) < size:
        if created:
            TicketEvent.objects.create(
                ticket=ticket,
                kind=EventKind.PANEL,
                internal=True,
                data={"state": "waiting", "independent_members": len(candidates), "needed": size},
            )
            _alert_admins_no_panel(ticket.pk)
        return panel
    chosen = random.SystemRandom().sample(candidates, size)
    PanelSeat.objects.bulk_create(PanelSeat(panel=panel, member_id=pk) for pk in chosen)
    panel.state = Panel.State.SITTING
    panel.save(update_fields=["state"])
    TicketEvent.objects.create(
        ticket=ticket, kind=EventKind.PANEL, data={"state": "sitting", "size": size}
    )
    _mail(ticket.pk, "panel_drawn")
    return panel


def _alert_admins_no_panel(ticket_id: int) -> None:
    from escalation.tasks import alert_admins_no_panel

    outbox.enqueue(alert_admins_no_panel, [ticket_id])


@transaction.atomic
def vote_cast(*, ticket: Ticket, member, decision: str, rationale: str, remedy: str = "") -> Vote:
    """One vote per member, revisable until the majority's decision is published."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    panel = (
        Panel.objects.select_for_update()
        .filter(ticket=ticket, state__in=[Panel.State.SITTING, Panel.State.DECIDED])
        .order_by("-created_at")
        .first()
    )
    if panel is None or not panel.seats.filter(member=member).exists():
        raise NotAllowed(_("Only members of this case's panel vote on it."))
    if panel.state == Panel.State.DECIDED:
        raise InvalidTransition(_("The decision is published; votes can no longer change."))
    errors = {}
    if decision not in Verdict.values:
        errors["decision"] = _("Choose uphold, modify or overturn.")
    rationale, remedy = rationale.strip(), remedy.strip()
    if not rationale:
        errors["rationale"] = _("Write the reasons for your vote.")
    if decision in (Verdict.MODIFY, Verdict.OVERTURN) and not remedy:
        errors["remedy"] = _("Say what the remedy is.")
    if errors:
        raise ValidationError(errors)
    if decision == Verdict.UPHOLD:
        remedy = ""  # upholding changes nothing: a remedy left in the box must not be published
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


def _decide_if_ready(ticket: Ticket, panel: Panel) -> None:
    votes = list(panel.votes.order_by("created_at"))
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
    now = timezone.now()
    panel.state = Panel.State.DECIDED
    panel.decision = decision
    panel.rationale = "\n\n".join(vote.rationale for vote in majority)
    panel.remedy = "\n\n".join(vote.remedy for vote in majority if vote.remedy)
    panel.decided_at = now
    panel.save(update_fields=["state", "decision", "rationale", "remedy", "decided_at"])
    TicketEvent.objects.create(
        ticket=ticket,
        kind=EventKind.DECISION,
        data={"panel": panel.pk, "decision": decision, "tally": dict(tally)},
    )
    transitions.check(ticket, "decide", transitions.SYSTEM)
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
    _mail(ticket.pk, "decision_published")


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
