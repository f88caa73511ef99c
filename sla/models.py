"""SLA policies and business calendars (admin-configured), and the record of met and breached targets.

These tables were created by the escalation app and keep its table names (migration
sla 0001 moved them here without touching the database), so nothing is copied.
A policy is scoped by a case's tier and priority: those two choices live here, below
the case (tickets.models re-exports them), so every ticket write can start and stop the
clock without an import running back up.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sla import deadlines


class Tier(models.TextChoices):
    """Who owns a case: each tier has its own policies and restarts the clock."""

    SUPPORT = "support", _("Support")
    APPEAL_CENTER = "appeal_center", _("Appeal Center")
    DISPUTE_COMMITTEE = "dispute_committee", _("Dispute Committee")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("“%(zone)s” is not a time zone. Use a name such as Asia/Shanghai or Europe/London."),
            params={"zone": value},
        ) from None


class BusinessCalendar(models.Model):
    """When the SLA clock runs. With no hours it runs 24/7 (except on its holidays)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )

    class Meta:
        db_table = "escalation_businesscalendar"
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    def as_calendar(self) -> deadlines.Calendar:
        """The pure calendar the SLA math works with (uses prefetched hours and holidays)."""
        return deadlines.Calendar(
            time_zone=self.time_zone,
            hours=tuple((h.weekday, h.opens, h.closes) for h in self.hours.all()),
            holidays=frozenset(h.date for h in self.holidays.all()),
        )


class BusinessHours(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(
        _("closes"), help_text=_("00:00 means midnight at the end of the day.")
    )

    class Meta:
        db_table = "escalation_businesshours"
        ordering = ["weekday", "opens"]
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self) -> None:
        if (
            self.closes
            and self.opens
            and self.closes.hour + self.closes.minute
            and self.closes <= self.opens
        ):
            raise ValidationError({"closes": _("Closing time must be after opening time.")})


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        db_table = "escalation_holiday"
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_calendar")
        ]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SLAPolicy(models.Model):
    """(category, priority, tier) -> targets. Blank category or priority means "any".

    The most specific policy wins. Each tier has a fallback (any category, any priority)
    so no case is ever without a deadline; fallbacks cannot be deleted.
    """

    name = models.CharField(_("name"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    tier = models.CharField(_("tier"), max_length=24, choices=Tier.choices)
    category = models.ForeignKey(
        "tickets.Category",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("category"),
        help_text=_("Leave empty for any category."),
    )
    priority = models.CharField(
        _("priority"),
        max_length=10,
        choices=Priority.choices,
        blank=True,
        help_text=_("Leave empty for any priority."),
    )
    first_response_target = models.DurationField(_("first reply within"))
    next_response_target = models.DurationField(_("next reply within"))
    resolution_target = models.DurationField(_("resolution within"))
    warning_percent = models.PositiveSmallIntegerField(
        _("warn at (percent of the target)"),
        default=75,
        help_text=_("The assignee is warned once this share of a target has passed."),
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("business calendar"),
        help_text=_("Leave empty for 24/7."),
    )

    class Meta:
        db_table = "escalation_slapolicy"
        ordering = ["tier", "category__sort_order", "priority"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            # One rule per scope: overlapping rules would make deadlines ambiguous.
            models.UniqueConstraint(
                Coalesce("category", Value(0)),
                "priority",
                "tier",
                name="sla_policy_one_rule_per_scope",
                violation_error_message=_(
                    "A policy for this tier, category and priority exists already; edit that one."
                ),
            ),
            models.CheckConstraint(
                condition=Q(first_response_target__gt=timedelta(0))
                & Q(next_response_target__gt=timedelta(0))
                & Q(resolution_target__gt=timedelta(0)),
                name="sla_policy_targets_positive",
                violation_error_message=_("Every target must be longer than zero."),
            ),
            models.CheckConstraint(
                condition=Q(warning_percent__gte=1) & Q(warning_percent__lte=99),
                name="sla_policy_warning_below_100",
                violation_error_message=_("Warn at between 1 and 99 percent of the target."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the page's language (the audit trail records the English `name`)."""
        if (get_language() or "").startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name

    @property
    def is_fallback(self) -> bool:
        return self.category_id is None and not self.priority

    def clean(self) -> None:
        errors = {}
        for field in ("first_response_target", "next_response_target", "resolution_target"):
            value = getattr(self, field)
            if value is not None and value < timedelta(minutes=1):
                errors[field] = _("A target must be at least one minute.")
        if self.warning_percent is not None and not 1 <= self.warning_percent <= 99:
            errors["warning_percent"] = _("Warn at between 1 and 99 percent of the target.")
        if errors:
            raise ValidationError(errors)


class Target(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First reply")
    NEXT_RESPONSE = "next_response", _("Next reply")
    RESOLUTION = "resolution", _("Resolution")


class Outcome(models.TextChoices):
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    WARNED = "warned", _("Warning sent")


class SLARecord(models.Model):
    """What happened to each deadline, for reporting: met, warned or breached, and when."""

    # slarecord_ticket_time (Meta) leads with the ticket: no index of its own.
    ticket = models.ForeignKey(
        "tickets.Ticket", db_index=False, on_delete=models.PROTECT, related_name="sla_records"
    )
    tier = models.CharField(max_length=24, choices=Tier.choices)
    target = models.CharField(max_length=20, choices=Target.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    due_at = models.DateTimeField()
    at = models.DateTimeField()
    # Never looked up by; deleting a policy (rare, fallbacks cannot be) may scan for its
    # records instead of every sweep writing one more index entry per record.
    policy = models.ForeignKey(
        SLAPolicy, db_index=False, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        db_table = "escalation_slarecord"
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["ticket", "at"], name="slarecord_ticket_time"),
            models.Index(fields=["outcome", "at"], name="slarecord_outcome_time"),
        ]
        verbose_name = _("SLA record")
        verbose_name_plural = _("SLA records")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} {self.outcome}"
