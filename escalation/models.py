"""Appeals, committee panels and their votes: what happens to a case above the support desk."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tickets.models import Tier


class Appeal(models.Model):
    """The customer contests a proposal or a rejection: the case goes up a tier."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DECIDED = "decided", _("Decided")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="appeals")
    resolution = models.ForeignKey(
        "tickets.Resolution", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_tier = models.CharField(max_length=24, choices=Tier.choices)
    to_tier = models.CharField(max_length=24, choices=Tier.choices)
    reason = models.TextField(_("reason"))
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(state="open"), name="appeal_one_open_per_ticket"
            )
        ]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.to_tier}"


class Verdict(models.TextChoices):
    UPHOLD = "uphold", _("Uphold")
    MODIFY = "modify", _("Modify")
    OVERTURN = "overturn", _("Overturn")


class Panel(models.Model):
    """Committee members drawn for one case, none of whom handled it before.

    Once a majority agrees, one member of it writes the decision as it is published: the
    chair if the chair is in the majority, else the member whose majority vote came
    first. The published decision is that one text and one remedy; every vote, dissent
    included, stays in the record.
    """

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for independent members")
        SITTING = "sitting", _("Sitting")
        DRAFTING = "drafting", _("Writing the decision")
        DECIDED = "decided", _("Decided")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="panels")
    size = models.PositiveSmallIntegerField(_("size"))
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    members = models.ManyToManyField(
        "accounts.User", through="PanelSeat", related_name="panels", blank=True
    )
    chair = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chair"),
    )
    # Who writes the published decision once a majority agrees (see the class).
    drafter = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("writes the decision"),
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Verdict.choices, blank=True)
    rationale = models.TextField(_("rationale"), blank=True)
    remedy = models.TextField(_("remedy"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=~Q(state="decided"),
                name="panel_one_active_per_ticket",
            ),
            models.CheckConstraint(condition=Q(size__gte=1), name="panel_size_positive"),
        ]
        # The sweep's panel retry looks up the few waiting panels each minute, not all of them.
        indexes = [
            models.Index(fields=["ticket"], name="panel_waiting", condition=Q(state="waiting"))
        ]
        verbose_name = _("panel")
        verbose_name_plural = _("panels")

    def __str__(self) -> str:
        return f"{self.ticket_id} ({self.get_state_display()})"


class PanelSeat(models.Model):
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="seats")
    member = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["panel", "member"], name="panel_seat_once")]

    def __str__(self) -> str:
        return f"{self.panel_id}:{self.member_id}"


class Vote(models.Model):
    panel = models.ForeignKey(Panel, on_delete=models.PROTECT, related_name="votes")
    member = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=10, choices=Verdict.choices)
    rationale = models.TextField(_("rationale"))
    remedy = models.TextField(_("remedy"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One vote each: a member may revise it until the decision is published.
            models.UniqueConstraint(fields=["panel", "member"], name="vote_one_per_member")
        ]
        verbose_name = _("vote")
        verbose_name_plural = _("votes")

    def __str__(self) -> str:
        return f"{self.panel_id}:{self.member_id} {self.decision}"
