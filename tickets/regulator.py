"""The regulator's clock on a case: the final-decision deadline of MiCA's complaints rules.

Commission Delegated Regulation (EU) 2025/294 asks an exchange to decide a complaint within
two months and, if it cannot, to tell the complainant why and when to expect the answer.
So every case gets, beside its SLA targets, a final-decision deadline when it is filed:
REDRESS_FINAL_DECISION_DAYS after filing, or its category's own number of days. Waiting on
the customer does not pause it, unless the category says so (`final_decision_pauses`).

A final outcome stops it: an accepted (or auto-accepted) resolution, a rejection (the clock
starts again if the customer appeals it in time: a rejection not appealed is the final
decision, from the day it was given), the committee's decision, or a merge into another
case. These functions change the ticket in memory; the calling service saves `FIELDS`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from tickets.models import Category, EventKind, Ticket

FIELDS = ["final_decision_due_at", "final_decision_warning_at", "final_decision_at"]


def decision_days(category: Category) -> int:
    return category.final_decision_days or settings.REDRESS_FINAL_DECISION_DAYS


def _warning_at(due: datetime, now: datetime) -> datetime | None:
    """When staff are warned: some days before the deadline, or now if that is past."""
    if due <= now:
        return None
    return max(now, due - timedelta(days=settings.REDRESS_FINAL_DECISION_WARNING_DAYS))


def start(ticket: Ticket, now: datetime, category: Category) -> None:
    """A new case: the final decision is due some days from now."""
    ticket.final_decision_due_at = now + timedelta(days=decision_days(category))
    ticket.final_decision_warning_at = _warning_at(ticket.final_decision_due_at, now)
    ticket.final_decision_at = None


def stop(ticket: Ticket, now: datetime) -> None:
    """A final outcome: the clock stops and no warning is due any more."""
    if ticket.final_decision_at is None:
        ticket.final_decision_at = now
    ticket.final_decision_warning_at = None


def reopen(ticket: Ticket, now: datetime) -> None:
    """An appealed rejection is not final: the same deadline runs again.

    A case warned before keeps its one warning; one that never was is warned as usual.
    """
    ticket.final_decision_at = None
    warned = ticket.events.filter(kind=EventKind.DECISION_WARNING).exists()
    due = ticket.final_decision_due_at
    ticket.final_decision_warning_at = None if warned or due is None else _warning_at(due, now)


def credit_wait(ticket: Ticket, waited_from: datetime | None, now: datetime) -> None:
    """The customer answered a request for information: where the category's rule says so,
    the deadline moves back by the time the desk waited for them."""
    if waited_from is None or ticket.final_decision_at is not None:
        return
    if not ticket.category.final_decision_pauses or ticket.final_decision_due_at is None:
        return
    waited = now - waited_from
    ticket.final_decision_due_at += waited
    if ticket.final_decision_warning_at is not None:
        ticket.final_decision_warning_at += waited
