"""The SLA clock on one ticket: start a tier, meet, pause, resume, breach.

These functions change a ticket in memory and return the SLARecords to write; the
calling service saves `SLA_FIELDS` and the records in its own transaction. The math
itself is in sla/deadlines.py; which policy applies is decided by a PolicyBook.

A ticket here is a tickets.models.Ticket (or a row of its values where a function says
so): this module sits below the case and reads only the clock's fields of it, its tier,
category and priority, and `desk_owes_reply`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction

from sla import deadlines
from sla.models import Outcome, SLAPolicy, SLARecord, Target

# Fields every clock change may touch: callers save exactly these.
SLA_FIELDS = [
    "sla_policy",
    "sla_started_at",
    "sla_paused_at",
    "first_response_due_at",
    "first_responded_at",
    "next_response_due_at",
    "next_response_started_at",
    "resolution_due_at",
    "escalation_due_at",
    "sla_warning_at",
    "sla_warned",
    "sla_breached",
    "last_breach_at",
]
# What starting a tier sets: every clock field but the record of the last breach.
START_FIELDS = [name for name in SLA_FIELDS if name != "last_breach_at"]

# An SLARecord's values in this order: the sweep writes thousands of them as plain rows.
RECORD_FIELDS = ["ticket", "tier", "target", "outcome", "due_at", "at", "policy"]
_RECORD_ATTNAMES = [SLARecord._meta.get_field(name).attname for name in RECORD_FIELDS]


class NoPolicy(Exception):
    """No policy, not even the tier's fallback: a configuration error, never a customer's."""


@dataclass
class PolicyBook:
    """Every policy and calendar, loaded once: a sweep of thousands of tickets asks it in memory."""

    policies: dict[tuple[str, int | None, str], SLAPolicy]
    calendars: dict[int, deadlines.Calendar]
    by_id: dict[int, SLAPolicy]
    _memo: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls) -> PolicyBook:
        policies = list(
            SLAPolicy.objects.select_related("calendar").prefetch_related(
                "calendar__hours", "calendar__holidays"
            )
        )
        return cls(
            policies={(p.tier, p.category_id, p.priority): p for p in policies},
            calendars={p.calendar_id: p.calendar.as_calendar() for p in policies if p.calendar_id},
            by_id={p.pk: p for p in policies},
        )

    @classmethod
    def cached(cls) -> PolicyBook:
        """The book this process loaded last, while no policy or calendar changed since.

        For the writes of one case (a filing): without it each of them reads every policy
        and calendar again. The shared cache holds a version that every save or delete of
        a policy, calendar, its hours or holidays replaces (`changed`), so every process
        reloads after an admin's change; a cache that is down or forgot the version means
        a load from the database, as before.
        """
        global _cached
        version = cache.get(_VERSION_KEY)
        if version is None:
            cache.add(_VERSION_KEY, secrets.token_hex(8), timeout=_VERSION_SECONDS)
            version = cache.get(_VERSION_KEY)
            if version is None:
                return cls.load()
        if _cached is None or _cached[0] != version:
            _cached = (version, cls.load())
        return replace(_cached[1], _memo={})  # a memo is for one run (its keys hold times)

    def current(self, ticket) -> SLAPolicy:
        """The policy the ticket's clock runs under, without a query per ticket."""
        policy = self.by_id.get(ticket.sla_policy_id)
        return policy or self.policy_for(ticket.tier, ticket.category_id, ticket.priority)

    def policy_for(self, tier: str, category_id: int | None, priority: str) -> SLAPolicy:
        """The most specific rule: category and priority, then category, then priority, then fallback."""
        for key in ((category_id, priority), (category_id, ""), (None, priority), (None, "")):
            policy = self.policies.get((tier, *key))
            if policy is not None:
                return policy
        raise NoPolicy(f"No SLA policy for tier {tier}: add a fallback policy.")

    def calendar(self, policy: SLAPolicy) -> deadlines.Calendar:
        return self.calendars.get(policy.calendar_id, deadlines.TWENTY_FOUR_SEVEN)

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """`compute()` once per key for this book: what depends only on the policies and
        the time (a sweep starts each policy's clock once for thousands of cases)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


_VERSION_KEY = "sla:policy-book-version"
# A version lives this long, so a change made while the cache was down is read within it.
_VERSION_SECONDS = 300
_cached: tuple[str, PolicyBook] | None = None


def changed(**kwargs) -> None:
    """A policy, calendar, opening hours or holiday was saved or deleted: every process's
    PolicyBook.cached() reloads (sla.apps connects it).

    Now, for this transaction's own writes, and again once it commits, for a process that
    reloaded in between and read the policies as they were before.
    """
    cache.set(_VERSION_KEY, secrets.token_hex(8), timeout=_VERSION_SECONDS)
    transaction.on_commit(
        lambda: cache.set(_VERSION_KEY, secrets.token_hex(8), timeout=_VERSION_SECONDS)
    )


def record_row(ticket, target: str, outcome: str, due: datetime, at: datetime) -> tuple:
    """An SLARecord in RECORD_FIELDS order, of a Ticket or of a row of its values."""
    return (ticket.id, ticket.tier, target, outcome, due, at, ticket.sla_policy_id)


def _record(ticket, target: str, outcome: str, due: datetime, at: datetime) -> SLARecord:
    row = record_row(ticket, target, outcome, due, at)
    return SLARecord(**dict(zip(_RECORD_ATTNAMES, row, strict=True)))


def _targets(ticket) -> list[tuple[str, datetime, datetime]]:
    """(target, started, due) for every deadline still owed at this tier."""
    owed = []
    if ticket.first_response_due_at and ticket.first_responded_at is None:
        owed.append((Target.FIRST_RESPONSE, ticket.sla_started_at, ticket.first_response_due_at))
    if ticket.next_response_due_at:
        owed.append(
            (Target.NEXT_RESPONSE, ticket.next_response_started_at, ticket.next_response_due_at)
        )
    if ticket.resolution_due_at:
        owed.append((Target.RESOLUTION, ticket.sla_started_at, ticket.resolution_due_at))
    return owed


def refresh(ticket, book: PolicyBook) -> None:
    """Recompute the two columns the sweeps scan from the deadlines still owed."""
    if not ticket.desk_owes_reply or ticket.sla_paused_at or ticket.sla_policy_id is None:
        ticket.escalation_due_at = ticket.sla_warning_at = None
        return
    policy = book.current(ticket)
    calendar = book.calendar(policy)
    owed = [t for t in _targets(ticket) if t[0] not in ticket.sla_breached]
    ticket.escalation_due_at = min((due for _, _, due in owed), default=None)
    warnings = [
        _warning_at(policy, calendar, target, started, due)
        for target, started, due in owed
        if target not in ticket.sla_warned and started is not None and due > started
    ]
    ticket.sla_warning_at = min(warnings, default=None)


def _warning_at(policy, calendar, target: str, started: datetime, due: datetime) -> datetime:
    # Pauses are credited to the due time as they end and not kept: the policy's target
    # tells the warning how much of the span was paused.
    length = {
        Target.FIRST_RESPONSE: policy.first_response_target,
        Target.NEXT_RESPONSE: policy.next_response_target,
        Target.RESOLUTION: policy.resolution_target,
    }[target]
    return deadlines.warning_at(started, due, policy.warning_percent, calendar, target=length)


def refresh_step(ticket, now: datetime, book: PolicyBook) -> list[SLARecord]:
    """`refresh` in the shape of the other steps, for a status change that keeps the deadlines."""
    refresh(ticket, book)
    return []


def start_tier(ticket, now: datetime, book: PolicyBook) -> list[SLARecord]:
    """A new tier owes a first reply and a resolution under its own policy, from now."""
    policy = book.policy_for(ticket.tier, ticket.category_id, ticket.priority)
    calendar = book.calendar(policy)
    ticket.sla_policy = policy
    ticket.sla_started_at = now
    ticket.sla_paused_at = None
    ticket.first_response_due_at = deadlines.due_at(now, policy.first_response_target, calendar)
    ticket.first_responded_at = None
    ticket.next_response_due_at = ticket.next_response_started_at = None
    ticket.resolution_due_at = deadlines.due_at(now, policy.resolution_target, calendar)
    ticket.sla_warned, ticket.sla_breached = [], []
    refresh(ticket, book)
    return []


def staff_replied(ticket, now: datetime, book: PolicyBook) -> list[SLARecord]:
    """A public staff reply meets the first-reply target and any open next-reply target."""
    records = []
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
        if ticket.first_response_due_at and Target.FIRST_RESPONSE not in ticket.sla_breached:
            records.append(
                _record(
                    ticket, Target.FIRST_RESPONSE, Outcome.MET, ticket.first_response_due_at, now
                )
            )
    if ticket.next_response_due_at:
        if Target.NEXT_RESPONSE not in ticket.sla_breached:
            records.append(
                _record(ticket, Target.NEXT_RESPONSE, Outcome.MET, ticket.next_response_due_at, now)
            )
        ticket.next_response_due_at = ticket.next_response_started_at = None
        _forget(ticket, Target.NEXT_RESPONSE)
    refresh(ticket, book)
    return records


def customer_wrote(ticket, now: datetime, book: PolicyBook) -> list[SLARecord]:
    """A customer message opens a next-reply target, unless one is already running."""
    if ticket.sla_policy_id and ticket.next_response_due_at is None and ticket.first_responded_at:
        policy = book.current(ticket)
        ticket.next_response_started_at = now
        ticket.next_response_due_at = deadlines.due_at(
            now, policy.next_response_target, book.calendar(policy)
        )
        _forget(ticket, Target.NEXT_RESPONSE)
    refresh(ticket, book)
    return []


def pause(ticket, now: datetime, book: PolicyBook) -> list[SLARecord]:
    """The customer owes an answer: the clock stops until they reply."""
    if ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
    refresh(ticket, book)
    return []


def resume(ticket, now: datetime, book: PolicyBook) -> list[SLARecord]:
    """The customer answered: every deadline moves back by the running time the pause took."""
    if ticket.sla_paused_at is not None and ticket.sla_policy_id:
        calendar = book.calendar(book.current(ticket))
        paused_from = ticket.sla_paused_at
        for name in ("first_response_due_at", "next_response_due_at", "resolution_due_at"):
            due = getattr(ticket, name)
            if due is not None:
                setattr(ticket, name, deadlines.credit_pause(due, paused_from, now, calendar))
    ticket.sla_paused_at = None
    refresh(ticket, book)
    return []


def change_policy(ticket, now: datetime, book: PolicyBook) -> list[SLARecord]:
    """Priority or category changed, so another policy may apply: deadlines follow it.

    Each deadline is recomputed from when its target started under the new target,
    keeping whatever paused time was already credited to it.
    """
    if ticket.sla_policy_id is None:
        return []
    old = book.current(ticket)
    new = book.policy_for(ticket.tier, ticket.category_id, ticket.priority)
    if new.pk == old.pk:
        return []
    old_calendar, new_calendar = book.calendar(old), book.calendar(new)

    def moved(due, started, old_target, new_target):
        if due is None or started is None:
            return due
        credited = deadlines.business_time_between(started, due, old_calendar) - old_target
        return deadlines.add_business_time(
            started, new_target + max(credited, timedelta(0)), new_calendar
        )

    if ticket.first_responded_at is None:
        ticket.first_response_due_at = moved(
            ticket.first_response_due_at,
            ticket.sla_started_at,
            old.first_response_target,
            new.first_response_target,
        )
    ticket.next_response_due_at = moved(
        ticket.next_response_due_at,
        ticket.next_response_started_at,
        old.next_response_target,
        new.next_response_target,
    )
    ticket.resolution_due_at = moved(
        ticket.resolution_due_at,
        ticket.sla_started_at,
        old.resolution_target,
        new.resolution_target,
    )
    ticket.sla_policy = new
    refresh(ticket, book)
    return []


def stop(ticket, now: datetime, book: PolicyBook, *, resolved: bool) -> list[SLARecord]:
    """The case is resolved (resolution target met) or otherwise over: no deadline runs."""
    records = []
    if resolved and ticket.resolution_due_at and Target.RESOLUTION not in ticket.sla_breached:
        records.append(
            _record(ticket, Target.RESOLUTION, Outcome.MET, ticket.resolution_due_at, now)
        )
    ticket.next_response_due_at = ticket.next_response_started_at = None
    ticket.escalation_due_at = ticket.sla_warning_at = None
    return records


def breached_targets(ticket, now: datetime) -> list[tuple[str, datetime]]:
    """(target, due) of each deadline overdue and not yet breached; a Ticket or a row of it."""
    return [
        (target, due)
        for target, _, due in _targets(ticket)
        if due <= now and target not in ticket.sla_breached
    ]


def breach_rows(ticket, breached: list[tuple[str, datetime]], now: datetime) -> list[tuple]:
    """The breached SLARecords (RECORD_FIELDS rows) of `breached_targets`."""
    return [record_row(ticket, target, Outcome.BREACHED, due, now) for target, due in breached]


def mark_breached(ticket, targets: list[str], now: datetime) -> None:
    """A breached target never alerts again; the case shows when it last missed one."""
    if targets:
        ticket.sla_breached = [*ticket.sla_breached, *targets]
        ticket.last_breach_at = now


def warn(ticket, now: datetime, book: PolicyBook) -> list[SLARecord]:
    """Targets past their warning threshold get one warning each."""
    records = []
    policy = book.current(ticket)
    calendar = book.calendar(policy)
    for target, started, due in _targets(ticket):
        if target in ticket.sla_warned or target in ticket.sla_breached or started is None:
            continue
        if _warning_at(policy, calendar, target, started, due) <= now:
            records.append(_record(ticket, target, Outcome.WARNED, due, now))
            ticket.sla_warned = [*ticket.sla_warned, target]
    refresh(ticket, book)
    return records


def _forget(ticket, target: str) -> None:
    # A new next-reply target is a new promise: it may warn and breach again.
    ticket.sla_warned = [t for t in ticket.sla_warned if t != target]
    ticket.sla_breached = [t for t in ticket.sla_breached if t != target]
