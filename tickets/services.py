"""Every write to a ticket: filing, conversation, evidence, and state changes.

Views, the API, admin actions, commands and Celery tasks all call these, so the rules
live here once. Each public function is one transaction that locks the ticket, writes
its audit event, and queues side effects to run only after commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_staff_member
from escalation import clock
from escalation.models import SLARecord
from tickets import secret_guard, transitions
from tickets.evidence import CheckedEvidence, EvidenceRejected, check_evidence
from tickets.exceptions import DuplicateTicket, NotAllowed
from tickets.fields import clean_ticket_fields
from tickets.models import (
    Attachment,
    Category,
    Channel,
    EventKind,
    IdempotencyKey,
    Message,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.selectors import open_duplicates
from tickets.transitions import CUSTOMER, STAFF

# Readable over the phone: no 0/O, 1/I/L, no vowels-only words by chance in a short code.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# Free-text fields scanned for secrets; the TxID is a public hash and is checked by format instead.
_SCANNED_FIELDS = ("order_id", "wallet_address", "trading_pair", "device")


def new_reference() -> str:
    """RD-XXXX-XXXX: 31^8 (~8.5e11) codes, random so references reveal no volume or order."""
    body = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{settings.TICKET_REFERENCE_PREFIX}-{body[:4]}-{body[4:]}"


def refuse_secrets(texts: Mapping[str, Any]) -> None:
    """Raise a field-keyed ValidationError if any text holds a secret; nothing of it is kept."""
    errors = {}
    for field, text in texts.items():
        if isinstance(text, str) and text:
            match = secret_guard.find_secret(text)
            if match:
                errors[field] = ValidationError(secret_guard.explain(match.kind), code="secret")
    if errors:
        raise ValidationError(errors)


def check_files(files: Iterable[UploadedFile], *, field: str = "files") -> list[CheckedEvidence]:
    """Check every file before anything is stored, so a refused upload leaves no trace."""
    checked = []
    for upload in files:
        try:
            checked.append(check_evidence(upload))
        except EvidenceRejected as rejection:
            raise ValidationError(
                {field: ValidationError(rejection.message, code=rejection.code)}
            ) from rejection
    return checked


def _record(ticket: Ticket, actor: User | None, kind: str, *, internal: bool = False, **data):
    fields = {
        k: data.pop(k) for k in ("from_status", "to_status", "from_tier", "to_tier") if k in data
    }
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor, kind=kind, internal=internal, data=data, **fields
    )


def _check_room(ticket: Ticket | None, count: int, field: str) -> None:
    # Callers hold the ticket's row lock, so two uploads cannot both squeeze under the cap.
    limit = settings.EVIDENCE_MAX_FILES_PER_TICKET
    existing = ticket.attachments.count() if ticket else 0
    if existing + count > limit:
        raise ValidationError(
            {
                field: ValidationError(
                    _("A case can hold at most %(limit)d files; it has %(existing)d already.")
                    % {"limit": limit, "existing": existing},
                    code="too_many_files",
                )
            }
        )


def _store_evidence(
    ticket: Ticket, actor: User, checked: list[CheckedEvidence], message: Message | None = None
) -> list[Attachment]:
    stored = []
    for item in checked:
        attachment = Attachment(
            ticket=ticket,
            message=message,
            uploaded_by=actor,
            original_name=item.original_name,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
        )
        # A generated name: the customer's file name never reaches the filesystem.
        generated = f"{ticket.created_at:%Y/%m}/{attachment.id.hex}{item.extension}"
        attachment.file.save(generated, ContentFile(item.content), save=False)
        attachment.save()
        _record(
            ticket,
            actor,
            EventKind.EVIDENCE,
            attachment=str(attachment.id),
            name=item.original_name,
            sha256=item.sha256,
            size=item.size,
        )
        stored.append(attachment)
    return stored


def _actor_kind(ticket: Ticket, actor: User) -> str:
    if is_staff_member(actor):
        return STAFF
    if actor.pk == ticket.customer_id:
        return CUSTOMER
    raise NotAllowed(_("You may not act on this case."))


@transaction.atomic
def ticket_file(
    *,
    customer: User,
    filed_by: User,
    category: Category,
    subject: str,
    description: str,
    fields: Mapping[str, Any],
    files: Iterable[UploadedFile] = (),
    channel: str = Channel.WEB,
    allow_duplicate: bool = False,
) -> Ticket:
    """File a new case; the customer is mailed its reference once the filing commits.

    Unless `allow_duplicate`, an open case of the customer's with the same TxID or order
    ID stops the filing with DuplicateTicket, so the caller can offer to add to it instead.
    """
    if filed_by.pk != customer.pk and not is_staff_member(filed_by):
        raise NotAllowed(_("Only staff may file a case for someone else."))
    if not category.is_active:
        raise ValidationError({"category": _("This category is no longer in use.")})

    subject, description = subject.strip(), description.strip()
    errors: dict[str, list] = {}
    if not subject:
        errors["subject"] = [ValidationError(_("Say in a few words what happened."), "required")]
    if not description:
        errors["description"] = [ValidationError(_("Describe what happened."), "required")]
    try:
        cleaned = clean_ticket_fields(category, fields)
    except ValidationError as error:
        errors.update(error.error_dict)
        cleaned = {}
    try:
        refuse_secrets(
            {
                "subject": subject,
                "description": description,
                **{name: fields.get(name) for name in _SCANNED_FIELDS},
            }
        )
    except ValidationError as error:
        for name, errs in error.error_dict.items():
            errors[name] = errs  # the secret explanation replaces a format complaint
    files = list(files)
    try:
        checked = check_files(files)
        _check_room(None, len(checked), "files")
    except ValidationError as error:
        errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    if not allow_duplicate:
        existing = open_duplicates(
            customer, txid=cleaned.get("txid", ""), order_id=cleaned.get("order_id", "")
        )
        if existing:
            raise DuplicateTicket(existing[:5])

    now = timezone.now()
    ticket = Ticket(
        customer=customer,
        filed_by=filed_by,
        channel=channel,
        category=category,
        subject=subject[:200],
        description=description,
        priority=category.default_priority,
        team=category.team,
        **cleaned,
    )
    clock.start_tier(ticket, now, clock.PolicyBook.load())
    for _attempt in range(5):
        ticket.reference = new_reference()
        try:
            with transaction.atomic():
                ticket.save()
            break
        except IntegrityError:
            if Ticket.objects.filter(reference=ticket.reference).exists():
                continue
            raise
    _record(
        ticket,
        filed_by,
        EventKind.FILED,
        to_status=Status.NEW,
        to_tier=ticket.tier,
        channel=channel,
        category=category.code,
        priority=ticket.priority,
        first_response_due_at=ticket.first_response_due_at.isoformat(),
        sla_policy=ticket.sla_policy.name,
    )
    _store_evidence(ticket, filed_by, checked)

    from tickets.tasks import send_ticket_received

    transaction.on_commit(lambda: send_ticket_received.delay(ticket.pk))
    return ticket


def ticket_file_idempotent(
    *, idempotency_key: str, request_hash: str, filed_by: User, **kwargs
) -> tuple[Ticket, bool]:
    """File once per client key: a retry gets the first ticket back and `created` False.

    The key row is inserted in the same transaction as the ticket. A concurrent retry
    blocks on the unique index until the first commits, then reads its ticket.
    """
    with transaction.atomic():
        record, created = IdempotencyKey.objects.get_or_create(
            user=filed_by, key=idempotency_key, defaults={"request_hash": request_hash}
        )
        if not created:
            if record.request_hash != request_hash:
                raise ValidationError(
                    {
                        "idempotency_key": _(
                            "This Idempotency-Key was used for a different request."
                        )
                    },
                    code="idempotency_mismatch",
                )
            return record.ticket, False
        ticket = ticket_file(filed_by=filed_by, **kwargs)
        record.ticket = ticket
        record.save(update_fields=["ticket"])
        return ticket, True


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _set_status(ticket: Ticket, actor: User | None, target: str, **data) -> None:
    if target == ticket.status:
        return
    _record(ticket, actor, EventKind.STATUS, from_status=ticket.status, to_status=target, **data)
    ticket.status = target


def _tick(ticket: Ticket, *steps, now=None) -> list[str]:
    """Run clock steps on the locked ticket, write their SLA records; returns fields to save."""
    now = now or timezone.now()
    book = clock.PolicyBook.load()
    records = []
    for step in steps:
        records += step(ticket, now, book)
    SLARecord.objects.bulk_create(records)
    return clock.SLA_FIELDS


@transaction.atomic
def ticket_add_message(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    internal: bool = False,
    files: Iterable[UploadedFile] = (),
) -> Message:
    """A reply or an internal note, with optional evidence, in one transaction."""
    body = body.strip()
    ticket = _lock(ticket)
    kind = _actor_kind(ticket, author)
    if kind == CUSTOMER:
        if internal:
            raise NotAllowed(_("Only staff can write internal notes."))
        transitions.check(ticket, "customer_reply", CUSTOMER)
        refuse_secrets({"body": body})
    else:
        transitions.check(ticket, "internal_note" if internal else "staff_reply", STAFF)
    if not body:
        raise ValidationError({"body": _("Write a message.")}, code="required")
    checked = check_files(files)
    _check_room(ticket, len(checked), "files")

    message = Message.objects.create(
        ticket=ticket, author=author, body=body, internal=internal, from_staff=kind == STAFF
    )
    _record(
        ticket,
        author,
        EventKind.NOTE if internal else EventKind.MESSAGE,
        internal=internal,
        message=message.pk,
    )
    _store_evidence(ticket, author, checked, message)

    changed = ["updated_at"]
    if kind == CUSTOMER:
        steps = [clock.customer_wrote]
        if ticket.status == Status.PENDING_CUSTOMER:
            # The customer answered what the desk asked: the case is back with the desk,
            # and the clock resumes with the paused time credited.
            transitions.check(ticket, "customer_answer", CUSTOMER)
            _set_status(ticket, author, Status.OPEN)
            changed.append("status")
            steps = [clock.resume, clock.customer_wrote]
        changed += _tick(ticket, *steps)
    elif not internal:
        changed += _tick(ticket, clock.staff_replied)
    ticket.save(update_fields=changed)

    if kind == STAFF and not internal:
        from tickets.tasks import send_staff_reply

        transaction.on_commit(lambda: send_staff_reply.delay(message.pk))
    return message


@transaction.atomic
def ticket_add_evidence(
    *, ticket: Ticket, actor: User, files: Iterable[UploadedFile]
) -> list[Attachment]:
    """Evidence added on its own (the API's attachment upload)."""
    ticket = _lock(ticket)
    transitions.check(ticket, "add_evidence", _actor_kind(ticket, actor))
    checked = check_files(files, field="file")
    if not checked:
        raise ValidationError({"file": _("Choose a file to upload.")}, code="required")
    _check_room(ticket, len(checked), "file")
    stored = _store_evidence(ticket, actor, checked)
    ticket.save(update_fields=["updated_at"])
    return stored


@transaction.atomic
def ticket_triage(*, ticket: Ticket, actor: User | None) -> Ticket:
    """Accept a new case as valid and in the right team's hands: new -> open."""
    ticket = _lock(ticket)
    transitions.check(ticket, "triage", STAFF if actor else transitions.SYSTEM)
    _set_status(ticket, actor, Status.OPEN)
    ticket.save(update_fields=["status", "updated_at", *_tick(ticket, clock.refresh_step)])
    return ticket


@transaction.atomic
def ticket_request_info(*, ticket: Ticket, actor: User, body: str) -> Message:
    """Ask the customer for more: the case waits on them (DESIGN.md: the clock pauses)."""
    ticket = _lock(ticket)
    if _actor_kind(ticket, actor) != STAFF:
        raise NotAllowed(_("Only staff can ask for more information."))
    transitions.check(ticket, "request_info", STAFF)
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Say what you need from the customer.")}, code="required")
    message = Message.objects.create(ticket=ticket, author=actor, body=body, from_staff=True)
    _record(ticket, actor, EventKind.MESSAGE, message=message.pk)
    _set_status(ticket, actor, Status.PENDING_CUSTOMER)
    changed = ["status", "updated_at", *_tick(ticket, clock.staff_replied, clock.pause)]
    ticket.save(update_fields=changed)

    from tickets.tasks import send_staff_reply

    transaction.on_commit(lambda: send_staff_reply.delay(message.pk))
    return message
