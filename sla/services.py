"""Writes to SLA policies: the admin, the API and commands all come through here."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sla import deadlines
from sla.models import SLAPolicy


class PolicyProtected(Exception):
    """A tier's fallback policy keeps its scope and cannot be deleted (HTTP 409)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


POLICY_FIELDS = (
    "name",
    "tier",
    "category",
    "priority",
    "first_response_target",
    "next_response_target",
    "resolution_target",
    "warning_percent",
    "calendar",
)


@transaction.atomic
def sla_policy_save(*, policy: SLAPolicy | None = None, **values) -> SLAPolicy:
    """Create or change a policy; invalid targets and overlapping rules raise ValidationError.

    A tier's fallback keeps its scope: it is what guarantees every case a deadline.
    """
    policy = policy or SLAPolicy()
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    if policy.pk is not None:
        stored = SLAPolicy.objects.get(pk=policy.pk)
        narrowed = (
            values.get("category") is not None
            or values.get("priority")
            or (values.get("tier", stored.tier) != stored.tier)
        )
        if stored.is_fallback and narrowed:
            raise PolicyProtected(
                _("This is the tier's fallback policy: it must stay for any category and priority.")
            )
    for field, value in values.items():
        setattr(policy, field, value)
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def sla_policy_delete(*, policy: SLAPolicy) -> None:
    if policy.is_fallback:
        raise PolicyProtected(
            _("A tier's fallback policy cannot be deleted: every case needs a deadline.")
        )
    policy.delete()


def sla_policy_preview(policy: SLAPolicy, now: datetime | None = None) -> dict[str, datetime]:
    """When a ticket filed now under this policy would be due, target by target."""
    now = now or timezone.now()
    calendar = policy.calendar.as_calendar() if policy.calendar_id else deadlines.TWENTY_FOUR_SEVEN
    return {
        "first_response": deadlines.due_at(now, policy.first_response_target, calendar),
        "next_response": deadlines.due_at(now, policy.next_response_target, calendar),
        "resolution": deadlines.due_at(now, policy.resolution_target, calendar),
    }
