"""The one ingest pipeline: every source spools the raw message, then `ingest` handles it.

`spool` is all a source does (the SMTP listener, the IMAP poll, a provider's webhook):
it keeps the bytes and records the `mail.tasks.ingest` call in the outbox, in one
transaction, so nothing received is lost to a crash or a broker that is down. The same
bytes spooled twice (a resend, a poll that saw a message twice) are one row.

`ingest` handles each message once: it locks the row, skips anything already handled,
and does all of its work in the row's transaction, so a task run twice finds nothing
left to do. What it does, in order:

1. A copy of a message already handled (same Message-ID) is ignored.
2. Machines: our own notifications, auto-replies and bounces never become messages (no
   loops); a bounce marks the addresses that failed.
3. The secret guard: a message holding a seed phrase or key is refused, its bytes are
   dropped, and the sender is told why and what to do.
4. Threading: the signed reply address, then In-Reply-To/References naming one of our
   Message-IDs, then a reference in the subject. A case so found takes the message only
   from its own customer; anyone else's is held in quarantine for staff, with the reason.
5. The customer's reply goes through the same service as the web page
   (tickets.services.ticket_add_message: evidence rules, clock, audit trail); each file
   is checked on its own, so a refused one is reported back and the rest are kept. A
   reply to a closed case opens a new case that follows it.
6. No case: a known customer's mail opens one (channel email, category "other", for
   staff to triage), acknowledged with its reference; an unknown sender is told once how
   to file, and the message waits in quarantine.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from accounts import roles
from accounts.models import User
from evidence.files import EvidenceRejected, check_evidence
from evidence.secret_guard import explain, find_secret
from mail import addresses, compose, parsing
from mail.delivery import mark_bouncing
from mail.models import Bounce, InboundMessage, Notification
from outbox import relay as outbox
from tickets import services as tickets
from tickets.exceptions import InvalidTransition, NotAllowed
from tickets.models import Category, Channel, Status, Ticket

log = logging.getLogger(__name__)
State = InboundMessage.State


def spool(
    raw: bytes, *, source: str, envelope_from: str | None = None, envelope_to: list[str] = ()
) -> InboundMessage:
    """Keep a message as it arrived and have it handled; the same bytes twice are one row.

    `envelope_from` is the SMTP sender ("" for the null sender of a bounce), or None
    where the source does not know it.
    """
    digest = hashlib.sha256(raw).hexdigest()
    message = parsing.parse(raw)
    with transaction.atomic():
        row, created = InboundMessage.objects.get_or_create(
            sha256=digest,
            defaults={
                "source": source[:40],
                "raw": raw,
                "size": len(raw),
                "message_id": parsing.message_id(message),
                "envelope_from": "<>" if envelope_from == "" else (envelope_from or "")[:250],
                "envelope_to": [address.lower() for address in envelope_to][:50],
                "sender": parsing.sender(message)[:250],
                "subject": parsing.subject(message),
            },
        )
        if created:
            outbox.enqueue("mail.tasks.ingest", row.pk)
    return row


def ingest(inbound_id: int) -> str:
    """Handle one spooled message; returns what became of it (its state)."""
    with transaction.atomic():
        row = (
            InboundMessage.objects.select_for_update()
            .filter(pk=inbound_id, state=State.RECEIVED)
            .first()
        )
        if row is None:
            return "already handled"
        replies = _Handler(row).run()
        row.processed_at = timezone.now()
        row.save()
        ids = compose.record(replies)
        if ids:
            outbox.enqueue("mail.tasks.deliver", ids)
        return row.state


def ingest_waiting(*, older_than: timedelta = timedelta(minutes=5), limit: int = 100) -> int:
    """Messages whose ingest never finished (a worker died): try them again."""
    waiting = list(
        InboundMessage.objects.filter(
            state=State.RECEIVED, received_at__lt=timezone.now() - older_than
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in waiting:
        try:
            ingest(pk)
        except Exception:
            # One broken message must not stop the others; it stays for an admin to see.
            log.exception("Inbound message %s could not be handled", pk)
    return len(waiting)


_CJK = re.compile(r"[\u4e00-\u9fff]")


class _Handler:
    """One message's way through the pipeline; `run` returns the mails to send back."""

    def __init__(self, row: InboundMessage):
        self.row = row
        self.raw = bytes(row.raw)
        self.message = parsing.parse(self.raw)
        self.user = (
            User.objects.filter(email__iexact=row.sender, is_active=True).first()
            if row.sender
            else None
        )
        self.replies: list[compose.Outgoing] = []

    def run(self) -> list[compose.Outgoing]:
        row = self.row
        if self._copy_of_handled():
            return self._done(State.IGNORED, gettext_noop("A copy of a message already handled."))
        automatic = parsing.automatic(self.message, row.envelope_from or None)
        if automatic:
            if automatic == parsing.BOUNCE:
                for address, reason in parsing.bounced_addresses(self.message):
                    mark_bouncing(address, reason or "bounced")
            return self._done(State.IGNORED, automatic)
        if not row.sender:
            return self._done(State.QUARANTINED, gettext_noop("It names no sender."))
        Bounce.objects.filter(address=row.sender).delete()  # mail from it arrives again
        if self._refuse_secret():
            return self.replies
        ticket, how, forged = self._thread()
        if ticket is not None and (self.user is None or self.user.pk != ticket.customer_id):
            self.row.ticket = ticket
            return self._done(
                State.QUARANTINED,
                gettext_noop("The sender is not the customer of %(reference)s (found by %(how)s)."),
                reference=ticket.reference,
                how=how,
            )
        if ticket is not None:
            return self._to_case(ticket)
        if forged:
            return self._done(
                State.QUARANTINED, gettext_noop("A reply address with a token that is not ours.")
            )
        if self.user is not None and _is_customer(self.user):
            return self._open_case()
        if self.user is not None:
            return self._done(
                State.QUARANTINED, gettext_noop("From a staff address, not a customer's.")
            )
        self._answer("how_to_file", f"how_to_file:{row.sender}")
        return self._done(
            State.QUARANTINED,
            gettext_noop("An unknown sender (told once how to file a complaint)."),
        )

    # --- steps ---------------------------------------------------------------------------

    def _done(self, state: str, reason: str, **data) -> list[compose.Outgoing]:
        """`reason` is English marked for translation; staff read it in their language."""
        self.row.state, self.row.reason, self.row.reason_data = state, reason, data
        return self.replies

    def _copy_of_handled(self) -> bool:
        if not self.row.message_id:
            return False
        return (
            InboundMessage.objects.filter(message_id=self.row.message_id)
            .exclude(pk=self.row.pk)
            .exclude(state=State.RECEIVED)
            .exists()
        )

    def _texts(self) -> list[str]:
        texts = [self.row.subject]
        for part in self.message.walk():
            if part.get_content_maintype() == "text" and not part.get_filename():
                try:
                    texts.append(part.get_content())
                except (LookupError, UnicodeDecodeError):
                    texts.append(part.get_payload(decode=True).decode("utf-8", "replace"))
        return texts

    def _refuse_secret(self) -> bool:
        match = next(filter(None, (find_secret(text) for text in self._texts())), None)
        if match is None:
            return False
        # Nothing of it is kept: not the bytes, not the subject (it may hold it too).
        self.row.raw, self.row.subject = b"", ""
        self._answer(
            "secret_refused",
            f"secret_refused:{self.row.pk}",
            explanation_kind=match.kind,
        )
        self._done(
            State.REFUSED,
            gettext_noop(
                "It held a secret (%(kind)s): nothing of it was kept, the sender was told."
            ),
            kind=str(match.kind),
        )
        return True

    def _thread(self) -> tuple[Ticket | None, str, bool]:
        """The case this answers, how it was found, and whether a forged address was used."""
        forged = False
        for address in parsing.recipients(self.message, self.row.envelope_to):
            reference = addresses.reference_from(address)
            if reference:
                ticket = Ticket.objects.filter(reference=reference).first()
                if ticket is not None:
                    return ticket, gettext_noop("its reply address"), False
            elif addresses.is_ours(address) and "+" in address.partition("@")[0]:
                forged = True
        ours = Notification.objects.filter(
            message_id__in=parsing.referenced_ids(self.message), ticket__isnull=False
        ).first()
        if ours is not None:
            return ours.ticket, gettext_noop("the mail it answers"), forged
        reference = parsing.reference_in_subject(self.row.subject)
        if reference:
            ticket = Ticket.objects.filter(reference=reference).first()
            if ticket is not None:
                return ticket, gettext_noop("a reference in the subject"), forged
        return None, "", forged

    def _files(self, room: int):
        """The attachments the evidence rules accept (at most `room`), and the refused."""
        accepted, refused = [], []
        for upload in parsing.attachments(self.message):
            try:
                check_evidence(upload)
            except EvidenceRejected as rejection:
                refused.append((upload.name, rejection.message))
                continue
            upload.seek(0)
            if len(accepted) >= room:
                refused.append(
                    (
                        upload.name,
                        gettext("A case can hold at most %(limit)d files.")
                        % {"limit": settings.EVIDENCE_MAX_FILES_PER_TICKET},
                    )
                )
                continue
            accepted.append(upload)
        return accepted, refused

    def _body(self, files) -> str:
        body = parsing.reply_text(self.message)
        if not body and files:
            body = gettext("Evidence sent by email: %(names)s") % {
                "names": ", ".join(upload.name for upload in files)
            }
        return body

    def _to_case(self, ticket: Ticket) -> list[compose.Outgoing]:
        if ticket.status == Status.CLOSED:
            return self._open_case(follows=ticket)
        with translation.override(compose.language_of(self.user)):
            room = settings.EVIDENCE_MAX_FILES_PER_TICKET - ticket.attachments.count()
            files, refused = self._files(max(room, 0))
            body = self._body(files)
            if not body:
                return self._done(State.IGNORED, gettext_noop("An empty reply."))
            try:
                with transaction.atomic():
                    tickets.ticket_add_message(
                        ticket=ticket,
                        author=self.user,
                        body=body,
                        files=files,
                        original=self.raw,
                    )
            except (InvalidTransition, NotAllowed, ValidationError) as error:
                self.row.ticket = ticket
                return self._done(
                    State.QUARANTINED,
                    gettext_noop("%(reference)s did not take it: %(error)s"),
                    reference=ticket.reference,
                    error=_say(error),
                )
        self.row.ticket = ticket
        self._report_refused(refused, ticket)
        return self._done(
            State.ADDED, gettext_noop("Added to %(reference)s."), reference=ticket.reference
        )

    def _open_case(self, follows: Ticket | None = None) -> list[compose.Outgoing]:
        with translation.override(compose.language_of(self.user)):
            files, refused = self._files(settings.EVIDENCE_MAX_FILES_PER_TICKET)
            body = self._body(files) or self.row.subject
            subject = parsing.REFERENCE.sub("", self.row.subject).strip(" :-") or body[:80]
            if not body:
                return self._done(State.IGNORED, gettext_noop("An empty message."))
            try:
                with transaction.atomic():
                    ticket = tickets.ticket_file(
                        customer=self.user,
                        filed_by=self.user,
                        category=Category.objects.get(code="other"),
                        subject=_without_reply_prefix(subject),
                        description=body,
                        fields={},
                        files=files,
                        channel=Channel.EMAIL,
                        allow_duplicate=True,
                        original=self.raw,
                        follows=follows,
                    )
            except (InvalidTransition, NotAllowed, ValidationError) as error:
                return self._done(
                    State.QUARANTINED,
                    gettext_noop("No case could be opened: %(error)s"),
                    error=_say(error),
                )
        self.row.ticket = ticket
        self._report_refused(refused, ticket)
        if follows is not None:
            return self._done(
                State.OPENED,
                gettext_noop("Opened %(reference)s, which follows the closed %(follows)s."),
                reference=ticket.reference,
                follows=follows.reference,
            )
        return self._done(
            State.OPENED, gettext_noop("Opened %(reference)s."), reference=ticket.reference
        )

    def _report_refused(self, refused: list[tuple[str, str]], ticket: Ticket) -> None:
        if refused:
            self._answer(
                "attachments_refused",
                f"attachments_refused:{self.row.pk}",
                ticket=ticket,
                refused=refused,
            )

    def _answer(self, template: str, key: str, *, ticket: Ticket | None = None, **context):
        """A mail back to the sender (it goes once per key, like every notification)."""
        to = self.user if self.user is not None else self.row.sender
        language = compose.language_of(self.user)
        if self.user is None and any(_CJK.search(text or "") for text in self._texts()):
            language = "zh-hans"
        if "explanation_kind" in context:
            with translation.override(language):
                context["explanation"] = explain(context.pop("explanation_kind"))
        self.replies.append(
            compose.Outgoing(
                key,
                "mail_refused",
                template,
                to,
                ticket,
                {
                    "their_subject": self.row.subject,
                    "support_address": settings.REDRESS_SUPPORT_ADDRESS,
                    "file_url": compose.site_link("tickets:file"),
                    "sign_up_url": compose.site_link("accounts:sign_up"),
                    **context,
                },
                language=language,
            )
        )


def _is_customer(user: User) -> bool:
    return roles.has_role(user, roles.CUSTOMER) and not roles.is_staff_member(user)


def _say(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)[:200]
    return str(error)[:200]


_REPLY_PREFIX = re.compile(r"^\s*((re|aw|fw|fwd|sv|回复|答复|转发)\s*[:：]\s*)+", re.IGNORECASE)


def _without_reply_prefix(subject: str) -> str:
    return _REPLY_PREFIX.sub("", subject).strip()[:200] or subject[:200]
