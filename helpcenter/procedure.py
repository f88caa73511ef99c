"""The published complaints procedure's time limits, read from what the workers enforce.

The page is built from the live SLA policies (sla.models.SLAPolicy, the fallback of each
tier and the faster rules for some categories and priorities) and the lifecycle settings,
so it cannot drift from the deadlines the sweep applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sla.models import SLAPolicy, Tier
from sla.services import sla_policy_preview


def duration_text(value: timedelta) -> str:
    """24 hours, 3 days, 90 minutes: the way a customer reads a time limit."""
    minutes = int(value.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


@dataclass(frozen=True)
class TierLimits:
    tier: str
    label: str
    first_response: str
    next_response: str
    resolution: str
    business_hours: str  # the calendar's name, or "" for around the clock
    # A case filed now at this tier would be due (sla.services.sla_policy_preview).
    first_response_by: datetime
    faster: list[tuple[str, str]]  # (what the rule is for, its first-reply limit)


@dataclass(frozen=True)
class ProcedureLimits:
    tiers: list[TierLimits]
    accept_after_days: int
    appeal_window_days: int
    final_decision_days: int
    panel_size: int
    languages: list[str]


def _scope(policy: SLAPolicy) -> str:
    parts = []
    if policy.category_id:
        parts.append(policy.category.name)
    if policy.priority:
        parts.append(_("%(priority)s priority") % {"priority": policy.get_priority_display()})
    return ", ".join(parts)


def procedure_limits(now: datetime | None = None) -> ProcedureLimits:
    now = now or timezone.now()
    policies = list(
        SLAPolicy.objects.select_related("category", "calendar").prefetch_related(
            "calendar__hours", "calendar__holidays"
        )
    )
    tiers = []
    for tier in Tier:
        of_tier = [p for p in policies if p.tier == tier]
        fallback = next((p for p in of_tier if p.is_fallback), None)
        if fallback is None:
            continue
        faster = sorted(
            (
                p
                for p in of_tier
                if not p.is_fallback and p.first_response_target < fallback.first_response_target
            ),
            key=lambda p: (p.first_response_target, _scope(p)),
        )
        preview = sla_policy_preview(fallback, now)
        tiers.append(
            TierLimits(
                tier=tier.value,
                label=str(tier.label),
                first_response=duration_text(fallback.first_response_target),
                next_response=duration_text(fallback.next_response_target),
                resolution=duration_text(fallback.resolution_target),
                business_hours=fallback.calendar.name if fallback.calendar_id else "",
                first_response_by=preview["first_response"],
                faster=[(_scope(p), duration_text(p.first_response_target)) for p in faster],
            )
        )
    return ProcedureLimits(
        tiers=tiers,
        accept_after_days=settings.REDRESS_ACCEPT_AFTER_DAYS,
        appeal_window_days=settings.REDRESS_APPEAL_WINDOW_DAYS,
        final_decision_days=settings.REDRESS_FINAL_DECISION_DAYS,
        panel_size=settings.REDRESS_PANEL_SIZE,
        languages=[str(name) for _code, name in settings.LANGUAGES],
    )
