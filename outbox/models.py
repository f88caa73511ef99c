"""Tasks to send to the broker, recorded in the transaction of the change that needs them."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    """One Celery task call: written with the state change, marked sent once the broker has it.

    A broker that is down when a case changes loses nothing: the message waits here and
    the relay (outbox.relay.relay, on the beat every minute) sends it when the broker is back.
    """

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # A call of a set (outbox.relay.enqueue_in_set): its last argument is a list that the
    # relay joins with the other pending calls of the same task and first arguments.
    in_set = models.BooleanField(_("sent in a set"), default=False)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The relay's scan: only what is still to send, oldest first.
            models.Index(
                fields=["id"],
                name="outbox_pending",
                condition=Q(sent_at__isnull=True, in_set=False),
            ),
            # The gathering of sets: the same, for the calls sent in sets.
            models.Index(
                fields=["id"],
                name="outbox_set_pending",
                condition=Q(sent_at__isnull=True, in_set=True),
            ),
            # The purge of what was sent long ago.
            models.Index(fields=["created_at"], name="outbox_created"),
        ]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
