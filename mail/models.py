"""Mail in and out: each notification once, each inbound message once, and who wants what."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One mail to one person, written when the event it reports is handled.

    `key` names the event and the recipient ("staff_replied:812:to:41"); it is unique, so
    a task that runs twice, a relay that resends or a worker that dies before Celery's
    acknowledgement finds the row already there, and a sent row is never sent again.
    The content is rendered once, at the event: a retry sends the same mail.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        SUPPRESSED = "suppressed", _("Not sent")
        FAILED = "failed", _("Gave up")

    key = models.CharField(_("key"), max_length=200)
    kind = models.CharField(_("kind"), max_length=40)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # notification_ticket (Meta)
        verbose_name=_("case"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # never looked up by
        verbose_name=_("recipient"),
    )
    to = models.EmailField(_("to"))
    language = models.CharField(_("language"), max_length=10, default="en")
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=250)
    reply_to = models.CharField(_("reply address"), max_length=250, blank=True)
    references = models.CharField(_("references"), max_length=250, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.PENDING
    )
    # Why a mail was not sent (the person turned the kind off, the address bounces).
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # When to try next; while a sender holds the row, when its hold runs out.
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="notification_key"),
            models.UniqueConstraint(fields=["message_id"], name="notification_message_id"),
        ]
        indexes = [
            # The sender's scan: only what still waits, in the order it is due.
            models.Index(
                fields=["next_attempt_at", "id"],
                name="notification_due",
                condition=Q(state__in=["pending", "sending"]),
            ),
            models.Index(fields=["ticket", "created_at"], name="notification_ticket"),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}"


class InboundMessage(models.Model):
    """A message as it arrived, from any source, and what the pipeline made of it.

    The raw bytes are spooled here before anything else happens, so a crash loses
    nothing; `mail.tasks.ingest` then handles each once (Message-ID, then SHA-256).
    """

    class State(models.TextChoices):
        RECEIVED = "received", _("Received")
        ADDED = "added", _("Added to a case")
        OPENED = "opened", _("Opened a case")
        QUARANTINED = "quarantined", _("Held for staff")
        IGNORED = "ignored", _("Ignored")
        REFUSED = "refused", _("Refused")
        DISMISSED = "dismissed", _("Dismissed by staff")

    source = models.CharField(_("source"), max_length=40)
    raw = models.BinaryField(_("raw message"))
    size = models.PositiveIntegerField(_("size"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    message_id = models.CharField(_("Message-ID"), max_length=250, blank=True)
    # "<>" is SMTP's null sender (a bounce); empty where the source does not say.
    envelope_from = models.CharField(_("envelope sender"), max_length=250, blank=True)
    envelope_to = models.JSONField(_("envelope recipients"), default=list, blank=True)
    sender = models.CharField(_("from"), max_length=250, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.RECEIVED
    )
    # English, marked for translation, with its values apart: staff read it in their language.
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    reason_data = models.JSONField(default=dict, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # never looked up by
        verbose_name=_("case"),
    )
    processed_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("dismissed by"),
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["sha256"], name="inbound_sha256")]
        indexes = [
            models.Index(
                fields=["message_id"], name="inbound_message_id", condition=~Q(message_id="")
            ),
            models.Index(
                fields=["-received_at"],
                name="inbound_quarantine",
                condition=Q(state="quarantined"),
            ),
        ]
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"

    @property
    def reason_text(self) -> str:
        data = {
            name: gettext(value) if name == "how" else value
            for name, value in self.reason_data.items()
        }
        return gettext(self.reason) % data if self.reason else ""


class OptOut(models.Model):
    """A kind of mail someone turned off in their profile (mail/kinds.py lists the kinds)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="optout_user_kind")]
        verbose_name = _("mail turned off")
        verbose_name_plural = _("mail turned off")

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"


class Bounce(models.Model):
    """An address our mail cannot reach: staff see it on the case, and we stop sending to it.

    Cleared when mail from that address reaches us again.
    """

    address = models.EmailField(_("address"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    count = models.PositiveIntegerField(_("bounces"), default=1)
    first_at = models.DateTimeField(_("first bounce"), default=timezone.now)
    last_at = models.DateTimeField(_("last bounce"), default=timezone.now)

    class Meta:
        ordering = ["-last_at"]
        constraints = [models.UniqueConstraint(fields=["address"], name="bounce_address")]
        verbose_name = _("bouncing address")
        verbose_name_plural = _("bouncing addresses")

    def __str__(self) -> str:
        return self.address
