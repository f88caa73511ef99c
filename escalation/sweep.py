"""The SLA sweeps: set-based, in bounded batches, safe to run twice or at once.

Each batch is one transaction: it locks up to `batch_size` due tickets with SKIP LOCKED
(so concurrent sweepers share the work instead of waiting or doubling it), changes them,
writes their audit events and SLA records, and records its notifications in the outbox;
the sweep sends them when its batches are done (or, with the broker down, the relay does
once it is back).
A breached ticket's `escalation_due_at` moves to its new tier's deadline in the same
transaction, so a second sweep, or a retry after a crash, finds nothing left to do.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from escalation.bulk import attnames, bulk_set, insert_rows, update_rows
from escalation.tiers import tier_move
from outbox import relay as outbox
from sla import clock
from sla.models import SLARecord
from tickets.exceptions import InvalidTransition
from tickets.models import OPEN_STATUSES, EventKind, Status, Ticket, TicketEvent, Tier
from tickets.services import NOTIFY
from tickets.transitions import next_tier

_SLA_ATTNAMES = attnames(Ticket, clock.SLA_FIELDS)
# What the escalation sweep reads of each due case: what picks its next policy, and its clock.
_DUE_FIELDS = ["id", "tier", "status", "category_id", "priority", *_SLA_ATTNAMES]
# What escalating a case writes, in the order of tiers.tier_move's values.
_MOVE_FIELDS = ["tier", "status", "assignee", *clock.START_FIELDS]
_MOVE_ATTNAMES = attnames(Ticket, _MOVE_FIELDS)
_EVENT_FIELDS = ["ticket", "actor", "kind", "from_status", "to_status", "from_tier", "to_tier"]
_EVENT_FIELDS += ["data", "internal", "created_at"]
# Only the columns a warning reads or writes (its policy and clock): a batch of 500 stays
# small in memory. The notice task reads the assignee and team itself.
_WARN_COLUMNS = ["id", "tier", "status", "priority", "category_id", *_SLA_ATTNAMES]


@dataclass
class SweepResult:
    escalated: list[int] = field(default_factory=list)
    alerted: list[int] = field(default_factory=list)
    warned: list[int] = field(default_factory=list)
    lifecycle: list[int] = field(default_factory=list)
    # Cases that reached the committee in this batch: each needs a panel drawn.
    to_committee: list[int] = field(default_factory=list)
    # Cases that are over but still carried a deadline (written outside the services): cleared.
    cleared: list[int] = field(default_factory=list)
    # Cases close to the regulator's final-decision deadline (tickets.regulator).
    decision_warned: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        """The cases the batch took (to_committee is a part of escalated)."""
        return (
            len(self.escalated)
            + len(self.alerted)
            + len(self.warned)
            + len(self.lifecycle)
            + len(self.decision_warned)
            + len(self.cleared)
        )


def _lock_due(column: str, now: datetime, batch_size: int, **conditions):
    return (
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(**{f"{column}__lte": now}, **conditions)
        .order_by(column)[:batch_size]
    )


def escalation_due(now: datetime, batch_size: int):
    """The locked cases of one escalation batch: the earliest deadlines at or before `now`.

    No status condition, by design. A deadline is set only while a case's clock runs
    (sla.clock.refresh clears it otherwise), and the partial index ticket_escalation_due
    holds exactly the cases that have one: it is the only index this condition can use, and
    it gives the rows in deadline order, so each batch reads its `batch_size` entries and
    stops. With `status IN (open statuses)` as well, the planner multiplied the two
    selectivities as if independent (405 rows expected where 10,000 were due) and chose a
    status-first index that reads and sorts every remaining due row for each batch.
    """
    return _lock_due("escalation_due_at", now, batch_size)


def _event_row(ticket_id: int, event: dict, data: dict, written: datetime) -> tuple:
    """A TicketEvent of the sweep (no actor, public) in _EVENT_FIELDS order."""
    return (
        ticket_id,
        None,
        event["kind"],
        event.get("from_status", ""),
        event.get("to_status", ""),
        event.get("from_tier", ""),
        event.get("to_tier", ""),
        data,
        False,
        written,
    )


def escalate_batch(*, now: datetime, book: clock.PolicyBook, batch_size: int = 500) -> SweepResult:
    """Escalate up to `batch_size` overdue tickets one tier; alert admins at the last tier.

    Cases are read and written as plain rows (no model instances): at thousands of
    escalations a sweep's time goes into Python objects otherwise. The rules are the
    clock's and tiers.tier_move's, the same that move one case for a person.
    """
    result = SweepResult()
    with transaction.atomic():
        due = list(escalation_due(now, batch_size).values_list(*_DUE_FIELDS, named=True))
        # A deadline left on a case that is over (a row written outside the services) is
        # cleared, not escalated: it would otherwise reopen the case, or come back each batch.
        result.cleared = [ticket.id for ticket in due if ticket.status not in OPEN_STATUSES]
        if result.cleared:
            Ticket.objects.filter(pk__in=result.cleared).update(escalation_due_at=None)
            due = [ticket for ticket in due if ticket.status in OPEN_STATUSES]
        if not due:
            return result
        written = timezone.now()  # when the events are recorded, as auto_now_add would say
        moves, at_top, events, records = [], [], [], []
        for ticket in due:
            breached = clock.breached_targets(ticket, now)
            records += clock.breach_rows(ticket, breached, now)
            reason = {"reason": "sla_breach", "targets": [target for target, _ in breached]}
            if next_tier(ticket.tier) is None:
                # No tier above the committee: admins are alerted, once per breached target.
                top = Ticket(**ticket._asdict())
                clock.mark_breached(top, reason["targets"], now)
                clock.refresh(top, book)
                at_top.append(top)
                result.alerted.append(ticket.id)
                events.append(_event_row(ticket.id, {"kind": EventKind.SLA}, reason, written))
                continue
            changes, tier_events = tier_move(ticket, now=now, book=book)
            moves.append(
                (
                    ticket.id,
                    *(changes[name] for name in _MOVE_ATTNAMES),
                    now if breached else ticket.last_breach_at,
                    now,
                )
            )
            events += [_event_row(ticket.id, event, reason, written) for event in tier_events]
            result.escalated.append(ticket.id)
            if changes["tier"] == Tier.DISPUTE_COMMITTEE:
                result.to_committee.append(ticket.id)
        update_rows(Ticket, [*_MOVE_FIELDS, "last_breach_at", "updated_at"], moves)
        for top in at_top:
            top.updated_at = now
        bulk_set(at_top, [*clock.SLA_FIELDS, "updated_at"])
        insert_rows(TicketEvent, _EVENT_FIELDS, events)
        insert_rows(SLARecord, clock.RECORD_FIELDS, records)
        _notify(result)
    return result


def warn_batch(*, now: datetime, book: clock.PolicyBook, batch_size: int = 500) -> SweepResult:
    """Warn once per target when its threshold passes."""
    result = SweepResult()
    with transaction.atomic():
        tickets = list(_lock_due("sla_warning_at", now, batch_size).only(*_WARN_COLUMNS))
        if not tickets:
            return result
        records = []
        for ticket in tickets:
            records += clock.warn(ticket, now, book)
            result.warned.append(ticket.pk)
        bulk_set(tickets, ["sla_warned", "sla_warning_at"])
        SLARecord.objects.bulk_create(records)
        _notify(result)
    return result


def decision_warning_batch(*, now: datetime, batch_size: int = 500) -> SweepResult:
    """Warn once per case that its final decision is due soon (the regulator's clock).

    The warning column is cleared in the same transaction, so a case is warned once; a
    case decided meanwhile has no warning left (tickets.regulator.stop clears it).
    """
    result = SweepResult()
    with transaction.atomic():
        due = list(
            _lock_due("final_decision_warning_at", now, batch_size).values_list(
                "id", "final_decision_at", named=True
            )
        )
        if not due:
            return result
        Ticket.objects.filter(pk__in=[ticket.id for ticket in due]).update(
            final_decision_warning_at=None
        )
        written = timezone.now()
        result.decision_warned = [ticket.id for ticket in due if ticket.final_decision_at is None]
        insert_rows(
            TicketEvent,
            _EVENT_FIELDS,
            [
                (ticket_id, None, EventKind.DECISION_WARNING, "", "", "", "", {}, True, written)
                for ticket_id in result.decision_warned
            ],
        )
        _notify(result)
    return result


def _notify(result: SweepResult) -> None:
    """Record the batch's news and panel draws in its transaction; `sweep` sends them.

    The mail app decides who hears of each (mail/events.py); the sweep only says what happened.
    """
    calls = [
        (task, args)
        for task, args in (
            (NOTIFY, ("escalated", result.escalated)),
            (NOTIFY, ("last_tier_breached", result.alerted)),
            (NOTIFY, ("deadline_close", result.warned)),
            ("escalation.tasks.draw_panels", (result.to_committee,)),
            (NOTIFY, ("decision_due", result.decision_warned)),
        )
        if args[-1]
    ]
    outbox.enqueue_all(calls, send_after_commit=False)


# Each case of a lifecycle batch goes through its own service: fewer per transaction.
LIFECYCLE_BATCH = 100


def lifecycle_batch(*, now: datetime, batch_size: int = LIFECYCLE_BATCH) -> SweepResult:
    """Unanswered proposals count as accepted; ended appeal windows close their cases.

    Each case goes through its own service (these are few, and each writes its own
    events); the ids come from one locked, bounded selection by the indexed due column.
    """
    from escalation import services

    result = SweepResult()
    with transaction.atomic():
        tickets = list(
            Ticket.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(lifecycle_due_at__lte=now)
            .order_by("lifecycle_due_at")
            .only("id", "status")[:batch_size]
        )
        for ticket in tickets:
            try:
                with transaction.atomic():
                    if ticket.status == Status.RESOLUTION_PROPOSED:
                        services.resolution_accept(ticket=ticket, actor=None)
                    else:
                        services.ticket_close_after_window(ticket=ticket)
            except InvalidTransition:
                # The case moved on (appealed, merged…): nothing is due on it any more.
                Ticket.objects.filter(pk=ticket.pk).update(lifecycle_due_at=None)
            result.lifecycle.append(ticket.pk)
    return result


# A case that reached the committee has its draw queued in the same transaction; only one
# still without a panel this long after is a draw that was lost or passed over.
PANEL_GRACE = timedelta(minutes=10)


def _without_panel(now: datetime, limit: int) -> list[int]:
    """Up to `limit` open committee cases that have no panel at all, and had time for their
    queued draw.

    Read from the queue's tier index alone (an index-only scan, every panel's case hashed
    once): at a million tickets a condition on another column of the case made the planner
    walk the whole table, or fetch every committee case's row each minute. Earliest
    deadline first, so a fresh wave (deadlines days ahead) comes after an older lost draw.
    """
    from escalation.models import Panel

    candidates = list(
        Ticket.objects.filter(tier=Tier.DISPUTE_COMMITTEE, status__in=OPEN_STATUSES)
        .exclude(pk__in=Panel.objects.values("ticket_id"))
        .order_by("escalation_due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    if not candidates:
        return []
    # sla_started_at: when the case entered the committee.
    return list(
        Ticket.objects.filter(pk__in=candidates, sla_started_at__lte=now - PANEL_GRACE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def panel_retry_batch(*, now: datetime, batch_size: int = 100) -> list[int]:
    """Draw again for committee cases still waiting for independent members (admins may have
    added some), and for open committee cases that have no panel at all; the cases tried."""
    from escalation import services
    from escalation.models import Panel

    ticket_ids = list(
        Panel.objects.filter(state=Panel.State.WAITING)
        .order_by("ticket_id")
        .values_list("ticket_id", flat=True)[:batch_size]
    )
    if len(ticket_ids) < batch_size:
        ticket_ids += _without_panel(now, batch_size - len(ticket_ids))
    if ticket_ids:
        services.panel_draw_many(ticket_ids=ticket_ids)
    return ticket_ids


def sweep(
    *,
    now: datetime | None = None,
    batch_size: int = 500,
    time_budget: float = 50.0,
    on_backlog: Callable[[], None] | None = None,
) -> SweepResult:
    """Batches until nothing is due or the time budget is spent (the next beat goes on).

    `on_backlog` is called once, after the first batch that came back full: more is due
    than one batch holds, and other sweepers may share it (escalation.tasks asks the
    worker's other processes). Each takes its own batches: the locks skip what another holds.
    """
    now = now or timezone.now()
    book = clock.PolicyBook.load()
    total = SweepResult()
    deadline = time.monotonic() + time_budget
    batches = (
        (batch_size, functools.partial(escalate_batch, now=now, book=book)),
        (batch_size, functools.partial(warn_batch, now=now, book=book)),
        (batch_size, functools.partial(decision_warning_batch, now=now)),
        (LIFECYCLE_BATCH, functools.partial(lifecycle_batch, now=now)),
    )
    for size, batch in batches:
        while time.monotonic() < deadline:
            result = batch(batch_size=size)
            if not result:
                break
            if on_backlog is not None and len(result) >= size:
                on_backlog()
                on_backlog = None
            total.escalated += result.escalated
            total.alerted += result.alerted
            total.warned += result.warned
            total.lifecycle += result.lifecycle
            total.decision_warned += result.decision_warned
            total.cleared += result.cleared
    panel_retry_batch(now=now)
    # One send for every batch's messages; if the broker is down they wait for the relay.
    outbox.relay()
    return total
