"""Sending what was recorded: once each, and patiently while the mail server is down.

A sender claims a bounded batch of due notifications (SKIP LOCKED, then marked
`sending` with a hold that runs out), sends them over one connection, and marks each
sent as soon as the server took it. A failure does not raise (Celery's retries gave up
after half a minute and lost the mail): the row goes back to `pending` with its error
and a later attempt time, growing to REDRESS_MAIL_RETRY_MAX, and the beat
(mail.tasks.deliver_due) tries again until REDRESS_MAIL_GIVE_UP_AFTER has passed.
Admins see what waits, and why, in the admin's notification list.

The one window left is between the server's "250 OK" and our update: a process killed
exactly there leaves the row `sending`, and when its hold runs out it is sent again
with the same Message-ID, which receiving mail systems use to drop the copy. A killed
worker that had marked the row sent (Celery redelivers a task it never acknowledged)
sends nothing more.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mail.models import Bounce, Notification

log = logging.getLogger(__name__)

HOLD = timedelta(minutes=10)  # longer than one batch takes; a dead sender's rows come back
Pending = Notification.State.PENDING
Sending = Notification.State.SENDING


def email_for(notification: Notification) -> EmailMultiAlternatives:
    headers = {
        "Message-ID": notification.message_id,
        # RFC 3834: machines must not answer this mail (no auto-reply loops).
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        "X-Redress-Notification": notification.kind,
    }
    if notification.references:
        # The case's thread: mail programs show a case's mails as one conversation.
        headers["References"] = notification.references
    message = EmailMultiAlternatives(
        notification.subject,
        notification.body_text,
        to=[notification.to],
        reply_to=[notification.reply_to] if notification.reply_to else None,
        headers=headers,
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    return message


def _claim(ids: list[int] | None, batch_size: int) -> list[Notification]:
    now = timezone.now()
    with transaction.atomic():
        due = Notification.objects.select_for_update(skip_locked=True).filter(
            state__in=[Pending, Sending], next_attempt_at__lte=now
        )
        if ids is not None:
            due = due.filter(pk__in=ids)
        claimed = list(due.order_by("next_attempt_at", "id")[:batch_size])
        Notification.objects.filter(pk__in=[n.pk for n in claimed]).update(
            state=Sending, next_attempt_at=now + HOLD
        )
    return claimed


def _retry_in(attempts: int) -> timedelta:
    seconds = min(60 * 2 ** max(attempts - 1, 0), settings.REDRESS_MAIL_RETRY_MAX)
    return timedelta(seconds=seconds)


def _failed(notification: Notification, error: Exception, *, permanent: bool = False) -> None:
    now = timezone.now()
    attempts = notification.attempts + 1
    give_up = permanent or now - notification.created_at > settings.REDRESS_MAIL_GIVE_UP_AFTER
    Notification.objects.filter(pk=notification.pk).update(
        state=Notification.State.FAILED if give_up else Pending,
        attempts=attempts,
        last_error=f"{type(error).__name__}: {error}"[:2000],
        next_attempt_at=now + _retry_in(attempts),
    )


def _refused_for_good(error: Exception) -> bool:
    """The server refused the recipient with a 5xx: trying again will not help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return False


BATCH_SIZE = 50  # mails claimed and sent over one connection


def deliver(*, ids: list[int] | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Send due notifications (these `ids`, or the oldest due); returns how many went."""
    claimed = _claim(ids, batch_size)
    if not claimed:
        return 0
    sent = 0
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        log.warning("Mail server unavailable; %d mails wait: %s", len(claimed), error)
        for notification in claimed:
            _failed(notification, error)
        return 0
    try:
        for index, notification in enumerate(claimed):
            try:
                connection.send_messages([email_for(notification)])
            except (OSError, smtplib.SMTPException) as error:
                if _refused_for_good(error):
                    _failed(notification, error, permanent=True)
                    mark_bouncing(notification.to, str(error))
                    continue
                # The connection is gone: the rest of the batch waits with the same error.
                log.warning("Sending failed; %d mails wait: %s", len(claimed) - index, error)
                for waiting in claimed[index:]:
                    _failed(waiting, error)
                break
            Notification.objects.filter(pk=notification.pk).update(
                state=Notification.State.SENT,
                sent_at=timezone.now(),
                attempts=notification.attempts + 1,
                last_error="",
            )
            sent += 1
    finally:
        # The server may go away after taking the mail: nothing is left to do then.
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.close()
    return sent


def deliver_due(*, batch_size: int = BATCH_SIZE, batches: int = 20) -> int:
    """What the beat runs: every due notification, batch by batch, until none is left."""
    total = 0
    for _ in range(batches):
        sent = deliver(batch_size=batch_size)
        total += sent
        if not sent:
            break
    return total


def mark_bouncing(address: str, reason: str) -> None:
    """Remember that mail to `address` does not arrive; staff see it on the case."""
    address = address.strip().lower()
    updated = Bounce.objects.filter(address=address).update(
        last_at=timezone.now(), reason=reason[:300], count=F("count") + 1
    )
    if not updated:
        Bounce.objects.get_or_create(address=address, defaults={"reason": reason[:300]})
