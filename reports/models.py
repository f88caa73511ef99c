"""Satisfaction ratings, the facts each case contributes to the reports, their day roll-ups,
and the weekly and monthly summaries kept for their readers.

Reports never read the case tables directly: the workers keep `CaseFact` (what each case
contributes, recomputed whenever it changes) and `DayRollup` (those facts counted per day),
so a report's cost depends on the days and the filters, not on the number of cases.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import Tier


class Rating(models.Model):
    """A customer's rating of one resolution: asked once, changeable while the link is valid.

    The case's tier, team and assignee are kept as they were when it was resolved, so a
    report by team or agent does not move when the case is reassigned later.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="ratings")
    # What was decided, once per resolution: "resolution:<id>" or "panel:<id>".
    resolution_key = models.CharField(max_length=40)
    # The outcome rated: a resolution kind, or "committee_<verdict>".
    outcome = models.CharField(_("outcome"), max_length=40)
    tier = models.CharField(_("tier"), max_length=24, choices=Tier.choices)
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"))
    valid_until = models.DateTimeField(_("can be rated until"))
    outcome_score = models.PositiveSmallIntegerField(_("the outcome"), null=True, blank=True)
    service_score = models.PositiveSmallIntegerField(_("our service"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)

    class Meta:
        ordering = ["-resolved_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "resolution_key"], name="rating_once_per_resolution"
            ),
            models.CheckConstraint(
                condition=(Q(outcome_score__isnull=True) | Q(outcome_score__range=(1, 5)))
                & (Q(service_score__isnull=True) | Q(service_score__range=(1, 5))),
                name="rating_scores_one_to_five",
            ),
        ]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.resolution_key}: {self.outcome_score}/{self.service_score}"

    @property
    def is_valid(self) -> bool:
        return timezone.now() < self.valid_until

    @property
    def is_low(self) -> bool:
        """A score of 1 or 2 on either question: the team's lead hears of it."""
        scores = (self.outcome_score, self.service_score)
        return any(score is not None and score <= 2 for score in scores)


class Dimensions(models.Model):
    """What every fact and roll-up row is filtered by (ids, not keys: categories and teams
    are renamed, never renumbered)."""

    category_id = models.BigIntegerField(null=True)
    team_id = models.BigIntegerField(null=True)
    tier = models.CharField(max_length=24, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    priority = models.CharField(max_length=10, blank=True)

    class Meta:
        abstract = True


class CaseFact(Dimensions):
    """One thing a case contributes to a report, on the day it happened.

    reports/facts.py derives them from the case's current rows; the fold replaces a case's
    facts whenever the case changes, and re-counts only the days whose facts changed.
    """

    ticket_id = models.BigIntegerField()
    metric = models.CharField(max_length=24)
    key = models.CharField(max_length=40, blank=True)
    day = models.DateField()
    # A duration in seconds kept to two significant figures, or a score (reports/facts.py).
    bucket = models.BigIntegerField(null=True)
    value = models.BigIntegerField(null=True)  # the exact seconds or score, for averages
    late = models.BooleanField(default=False)  # past the step's limit

    class Meta:
        indexes = [
            models.Index(fields=["ticket_id"], name="casefact_ticket"),
            models.Index(fields=["day", "metric"], name="casefact_day"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric} {self.day}"


class Counted(models.Model):
    """What a roll-up row counts: the facts of one metric, key, bucket and lateness."""

    metric = models.CharField(max_length=24)
    key = models.CharField(max_length=40, blank=True)
    bucket = models.BigIntegerField(null=True)
    late = models.BooleanField(default=False)
    count = models.PositiveIntegerField()
    total = models.BigIntegerField(null=True)  # the sum of the facts' exact values

    class Meta:
        abstract = True


class DayRollup(Dimensions, Counted):
    """The facts of one day counted by metric, key, dimensions, bucket and lateness."""

    day = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["metric", "day"], name="dayrollup_metric_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.key}: {self.count}"


class MonthRollup(Dimensions, Counted):
    """A complete month's day roll-ups counted together: what long ranges read.

    Only months that have ended get these rows (the current month is read from its days),
    and a month's rows are counted again whenever one of its days is.
    """

    month = models.DateField()  # its first day

    class Meta:
        indexes = [models.Index(fields=["metric", "month"], name="monthrollup_metric_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.metric} {self.key}: {self.count}"


class TeamDayRollup(Counted):
    """A day's roll-up counted by team alone (category, tier, channel and priority summed).

    What a report with no filter but the reader's teams reads: at a million cases a day's
    durations spread over hundreds of dimension combinations for each bucket, so a month of
    first replies is ~57,000 DayRollup rows but ~20,000 here (and a year of months 174,000
    MonthRollup rows, ~13,000 in TeamMonthRollup). Counted from DayRollup whenever its day
    is (reports.rollup), so the two can never disagree.
    """

    day = models.DateField()
    team_id = models.BigIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["metric", "day"], name="teamdayrollup_metric_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.key} team {self.team_id}: {self.count}"


class TeamMonthRollup(Counted):
    """A complete month's TeamDayRollup rows counted together (as MonthRollup is DayRollup's)."""

    month = models.DateField()  # its first day
    team_id = models.BigIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["metric", "month"], name="teammonthrollup_metric_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.metric} {self.key} team {self.team_id}: {self.count}"


class FoldState(models.Model):
    """How far a worker has read the case events; its row lock keeps it to one at a time."""

    name = models.CharField(max_length=40, primary_key=True)
    watermark = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.watermark}"


class Summary(models.Model):
    """A weekly or monthly summary as it was mailed: its readers can open it again."""

    class Period(models.TextChoices):
        WEEK = "week", _("Week")
        MONTH = "month", _("Month")

    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    # None: every team, for admins; a team: for its leads.
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start", "period", "team_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "start"],
                condition=Q(team__isnull=True),
                name="summary_once_for_admins",
            ),
            models.UniqueConstraint(
                fields=["period", "start", "team"],
                condition=Q(team__isnull=False),
                name="summary_once_per_team",
            ),
        ]
        verbose_name = _("summary")
        verbose_name_plural = _("summaries")

    def __str__(self) -> str:
        return f"{self.period} {self.start}"
