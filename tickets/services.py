"""Every write to a ticket: filing, conversation, evidence, and state changes.

Views, the API, admin actions, commands and Celery tasks all call these, so the rules
live here once. Each public function is one transaction that locks the ticket, writes
its audit event, and queues side effects to run only after commit.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import User
from accounts.roles import is_staff_member
from evidence.fields import check_places, clean_amount, clean_fields
from evidence.files import CheckedEvidence, check_files
from evidence.secret_guard import refuse_secrets
from outbox import relay as outbox
from sla import clock
from sla.models import SLARecord
from tickets import authority, regulator, search, transitions
from tickets.catalogue import catalogue
from tickets.exceptions import DuplicateTicket, NotAllowed
from tickets.formatting import amount_text
from tickets.models import (
    Attachment,
    Category,
    Channel,
    DelayNotice,
    EventKind,
    IdempotencyKey,
    Message,
    MessageOriginal,
    Status,
    Ticket,
    TicketEvent,
    Tier,
)
from tickets.selectors import open_duplicates
from tickets.transitions import CUSTOMER, STAFF

# Readable over the phone: no 0/O, 1/I/L, no vowels-only words by chance in a short code.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# What happened, for the mail app above to tell whom it concerns (mail/events.py).
NOTIFY = "mail.tasks.notify"
# Free-text fields scanned for secrets; the TxID is a public hash and is checked by format instead.
_SCANNED_FIELDS = ("order_id", "wallet_address", "trading_pair", "device")


def new_reference() -> str:
    """RD-XXXX-XXXX: 31^8 (~8.5e11) codes, random so references reveal no volume or order."""
    body = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{settings.TICKET_REFERENCE_PREFIX}-{body[:4]}-{body[4:]}"


def _record(ticket: Ticket, actor: User | None, kind: str, *, internal: bool = False, **data):
    fields = {
        k: data.pop(k) for k in ("from_status", "to_status", "from_tier", "to_tier") if k in data
    }
    data.update(correction_data(ticket, actor))
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor, kind=kind, internal=internal, data=data, **fields
    )


def check_room(ticket: Ticket | None, count: int, field: str) -> None:
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


def store_evidence(
    ticket: Ticket, actor: User, checked: list[CheckedEvidence], message: Message | None = None
) -> list[Attachment]:
    """Store checked files; a file sent with an internal note is as internal as the note."""
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
            received_sha256=item.received_sha256,
            received_size=item.received_size,
        )
        # A generated name: the customer's file name never reaches the filesystem.
        generated = f"{ticket.created_at:%Y/%m}/{attachment.id.hex}{item.extension}"
        attachment.file.save(generated, ContentFile(item.content), save=False)
        attachment.save()
        _record(
            ticket,
            actor,
            EventKind.EVIDENCE,
            internal=message is not None and message.internal,
            attachment=str(attachment.id),
            name=item.original_name,
            sha256=item.sha256,
            received_sha256=item.received_sha256,
            size=item.size,
        )
        stored.append(attachment)
    return stored


def store_original(ticket: Ticket, message: Message | None, raw: bytes) -> MessageOriginal:
    original = MessageOriginal(
        ticket=ticket, message=message, size=len(raw), sha256=hashlib.sha256(raw).hexdigest()
    )
    original.file.save(
        f"{ticket.created_at:%Y/%m}/{original.id.hex}.eml", ContentFile(raw), save=False
    )
    original.save()
    return original


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
    original: bytes | None = None,
    follows: Ticket | None = None,
) -> Ticket:
    """File a new case; the customer is mailed its reference once the filing commits.

    Unless `allow_duplicate`, an open case of the customer's with the same TxID or order
    ID stops the filing with DuplicateTicket, so the caller can offer to add to it instead.
    `original` is the message as it arrived by mail (kept for the case file); `follows`
    a closed case this one carries on (a reply to it by mail), linked both ways.
    """
    on_behalf = None
    if filed_by.pk != customer.pk:
        if not is_staff_member(filed_by):
            raise NotAllowed(_("Only staff may file a case for someone else."))
        # A new case starts at support: those who work it take complaints for customers.
        on_behalf = authority.require(filed_by, Tier.SUPPORT, "file_for_customer")
    if filed_by.pk == customer.pk and not customer.email_verified:
        raise NotAllowed(
            _("Confirm your email address first: follow the link we mailed you at sign-up.")
        )
    if not category.is_active:
        raise ValidationError({"category": _("This category is no longer in use.")})

    subject, description = subject.strip(), description.strip()
    errors: dict[str, list] = {}
    if not subject:
        errors["subject"] = [ValidationError(_("Say in a few words what happened."), "required")]
    if not description:
        errors["description"] = [ValidationError(_("Describe what happened."), "required")]
    try:
        cleaned = clean_fields(
            fields,
            wanted=category.evidence_fields,
            required=category.required_fields,
            catalogue=catalogue,
        )
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
        check_room(None, len(checked), "files")
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
    clock.start_tier(ticket, now, clock.PolicyBook.cached())
    ticket._correction_by = filed_by.pk if on_behalf and on_behalf.correction else None
    regulator.start(ticket, now, category)
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
        final_decision_due_at=ticket.final_decision_due_at.isoformat(),
        sla_policy=ticket.sla_policy.name,
        **({"follows": follows.reference} if follows else {}),
    )
    if follows is not None:
        _record(follows, None, EventKind.LINKED, followed_by=ticket.reference)
        _record(ticket, None, EventKind.LINKED, follows=follows.reference)
    if original is not None:
        store_original(ticket, None, original)
    store_evidence(ticket, filed_by, checked)
    _route_round_robin(ticket)
    search.reindex(ticket.pk)
    outbox.enqueue_in_set(NOTIFY, "ticket_filed", item=ticket.pk)  # receipts go in sets
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


def set_status(ticket: Ticket, actor: User | None, target: str, **data) -> None:
    """Change the locked ticket's status in memory and record it; the caller saves."""
    if target == ticket.status:
        return
    _record(ticket, actor, EventKind.STATUS, from_status=ticket.status, to_status=target, **data)
    ticket.status = target


# Clock steps for a case that ends: resolved (the resolution target is met), or not
# (rejected, merged). Either way no deadline runs any more.
stop_unresolved = partial(clock.stop, resolved=False)
stop_resolved = partial(clock.stop, resolved=True)


def clock_tick(ticket: Ticket, *steps, now=None) -> list[str]:
    """Run clock steps on the locked ticket, write their SLA records; returns fields to save."""
    now = now or timezone.now()
    book = clock.PolicyBook.cached()
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
    original: bytes | None = None,
) -> Message:
    """A reply or an internal note, with optional evidence, in one transaction.

    `original` is the customer's message as it arrived by mail, kept for the case file.
    Evidence alone is a message too: its body stays empty and pages show "Added evidence".
    """
    body = body.strip()
    ticket = _lock(ticket)
    kind = _actor_kind(ticket, author)
    if kind == CUSTOMER:
        if internal:
            raise NotAllowed(_("Only staff can write internal notes."))
        transitions.check(ticket, "customer_reply", CUSTOMER)
        refuse_secrets({"body": body})
    else:
        require_staff(ticket, author, "internal_note" if internal else "staff_reply")
    checked = check_files(files)
    if not body and not checked:
        raise ValidationError({"body": _("Write a message or add a file.")}, code="required")
    check_room(ticket, len(checked), "files")

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
    store_evidence(ticket, author, checked, message)
    if original is not None:
        store_original(ticket, message, original)

    changed = ["updated_at"]
    if kind == CUSTOMER:
        now = timezone.now()
        steps = [clock.customer_wrote]
        if ticket.status == Status.PENDING_CUSTOMER:
            # The customer answered what the desk asked: the case is back with the desk,
            # and the clock resumes with the paused time credited.
            transitions.check(ticket, "customer_answer", CUSTOMER)
            set_status(ticket, author, Status.OPEN)
            changed += ["status", *regulator.FIELDS]
            regulator.credit_wait(ticket, ticket.sla_paused_at, now)
            steps = [clock.resume, clock.customer_wrote]
        changed += clock_tick(ticket, *steps, now=now)
    elif not internal:
        changed += clock_tick(ticket, clock.staff_replied)
    ticket.save(update_fields=changed)
    search.reindex(ticket.pk)

    if kind == CUSTOMER:
        outbox.enqueue(NOTIFY, "customer_wrote", message.pk)
    elif not internal:
        outbox.enqueue(NOTIFY, "staff_replied", message.pk)
    return message


def _may_add_evidence(ticket: Ticket, actor: User) -> None:
    if _actor_kind(ticket, actor) == STAFF:
        require_staff(ticket, actor, "add_evidence")
    else:
        transitions.check(ticket, "add_evidence", CUSTOMER)


def ticket_add_evidence(
    *, ticket: Ticket, actor: User, files: Iterable[UploadedFile]
) -> list[Attachment]:
    """Evidence added on its own (the API's attachment upload).

    The files are checked (an image decoded and re-encoded) before the transaction: the
    case's row is locked and a database connection held only for the writes, not for as
    long as an image takes. Who may add is asked before that work and again under the lock.
    """
    _may_add_evidence(ticket, actor)
    checked = check_files(files, field="file")
    if not checked:
        raise ValidationError({"file": _("Choose a file to upload.")}, code="required")
    with transaction.atomic():
        ticket = _lock(ticket)
        _may_add_evidence(ticket, actor)
        check_room(ticket, len(checked), "file")
        stored = store_evidence(ticket, actor, checked)
        ticket.save(update_fields=["updated_at"])
        if actor.pk == ticket.customer_id:
            outbox.enqueue(NOTIFY, "evidence_added", [str(a.pk) for a in stored])
    return stored


@transaction.atomic
def ticket_triage(*, ticket: Ticket, actor: User | None) -> Ticket:
    """Accept a new case as valid and in the right team's hands: new -> open."""
    ticket = _lock(ticket)
    if actor is None:
        transitions.check(ticket, "triage", transitions.SYSTEM)
    else:
        require_staff(ticket, actor, "triage")
    set_status(ticket, actor, Status.OPEN)
    ticket.save(update_fields=["status", "updated_at", *clock_tick(ticket, clock.refresh_step)])
    return ticket


@transaction.atomic
def ticket_request_info(*, ticket: Ticket, actor: User, body: str) -> Message:
    """Ask the customer for more: the case waits on them (DESIGN.md: the clock pauses)."""
    ticket = _lock(ticket)
    require_staff(ticket, actor, "request_info")
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Say what you need from the customer.")}, code="required")
    message = Message.objects.create(ticket=ticket, author=actor, body=body, from_staff=True)
    _record(ticket, actor, EventKind.MESSAGE, message=message.pk)
    set_status(ticket, actor, Status.PENDING_CUSTOMER)
    changed = ["status", "updated_at", *clock_tick(ticket, clock.staff_replied, clock.pause)]
    ticket.save(update_fields=changed)

    search.reindex(ticket.pk)
    outbox.enqueue(NOTIFY, "info_requested", message.pk)
    return message


def price_in_force(asset, at=None):
    """The asset's reference price in force at `at` (now), in the reference currency, or None."""
    from tickets.models import AssetPrice

    return (
        AssetPrice.objects.filter(
            asset=asset,
            currency=settings.REDRESS_REFERENCE_CURRENCY,
            set_at__lte=at or timezone.now(),
        )
        .order_by("-set_at", "-id")
        .first()
    )


_VALUE_PLACES = Decimal("1e-18")  # Resolution.reference_value's decimal places


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def value_compensation(resolution) -> None:
    """Value compensation in the reference currency with the asset's price in force now."""
    price = price_in_force(resolution.asset)
    resolution.reference_price = price
    resolution.reference_value = (
        (resolution.amount * price.price).quantize(_VALUE_PLACES) if price else None
    )


def resolution_needs_approval(resolution) -> bool:
    """Four eyes: compensation worth more than REDRESS_APPROVAL_LIMIT in the reference
    currency, or of an asset without a reference price (its worth is unknown), needs a
    second person. `value_compensation` has valued it."""
    from tickets.models import ResolutionKind

    if resolution.kind != ResolutionKind.COMPENSATION:
        return False
    if resolution.reference_value is None:
        return True
    return resolution.reference_value > settings.REDRESS_APPROVAL_LIMIT


def _valuation_data(resolution) -> dict:
    if resolution.kind != "compensation":
        return {}
    if resolution.reference_price is None:
        return {"unpriced": True, "reference_currency": settings.REDRESS_REFERENCE_CURRENCY}
    return {
        "reference_value": _plain(resolution.reference_value),
        "reference_currency": resolution.reference_price.currency,
        "reference_price": _plain(resolution.reference_price.price),
        "price_set_at": resolution.reference_price.set_at.isoformat(),
    }


@transaction.atomic
def asset_price_set(*, asset, price, actor: User):
    """An admin sets an asset's reference price from now on; earlier prices stay as history."""
    from tickets.models import AssetPrice

    if not authority.is_admin(actor):
        raise NotAllowed(_("Only admins set reference prices."))
    try:
        price = clean_amount(price)
    except ValidationError as error:
        raise ValidationError({"price": error.messages}) from error
    return AssetPrice.objects.create(
        asset=asset, currency=settings.REDRESS_REFERENCE_CURRENCY, price=price, set_by=actor
    )


def publish_proposal(ticket: Ticket, resolution) -> None:
    """Show a proposal to the customer; the locked ticket now waits on their answer.

    Each event names who did what: the proposal is its author's, with its approver named
    beside it; the status moves when it goes out, so by whoever sent it out (the approver
    of a proposal that waited for approval).
    """
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket, author=resolution.proposed_by, body=resolution.summary, from_staff=True
    )
    approver = resolution.approved_by
    _record(
        ticket,
        resolution.proposed_by,
        EventKind.RESOLUTION,
        resolution=resolution.pk,
        resolution_kind=resolution.kind,
        amount=amount_text(resolution.amount, resolution.asset) or None,
        asset=resolution.asset.code if resolution.asset_id else None,
        **_valuation_data(resolution),
        approved_by=approver.email if approver else None,
    )
    set_status(ticket, approver or resolution.proposed_by, Status.RESOLUTION_PROPOSED)
    # No answer within the window counts as acceptance (the lifecycle sweep does it).
    ticket.lifecycle_due_at = now + timedelta(days=settings.REDRESS_ACCEPT_AFTER_DAYS)
    ticket.save(
        update_fields=[
            "status",
            "updated_at",
            "lifecycle_due_at",
            *clock_tick(ticket, clock.staff_replied, now=now),
        ]
    )
    search.reindex(ticket.pk)
    outbox.enqueue(NOTIFY, "resolution_proposed", resolution.pk, message.pk)


def require_staff(ticket: Ticket, actor: User, action: str) -> None:
    """`actor` may take the staff move `action` on the locked case now, or a domain error.

    Who may is tickets.authority's rule for the case's tier; what the case's state allows
    is the transition table's. An admin's correction marks the events it writes.
    """
    if _actor_kind(ticket, actor) != STAFF:
        raise NotAllowed(_("Only staff can do this."))
    granted = authority.require(actor, ticket.tier, action)
    transitions.check(ticket, action, STAFF)
    # _record reads this for every event the actor writes on this locked case.
    ticket._correction_by = actor.pk if granted.correction else None


def correction_data(ticket: Ticket, actor: User | None) -> dict:
    """What an event says about an admin's correction (require_staff found one), if any."""
    if actor is not None and getattr(ticket, "_correction_by", None) == actor.pk:
        return {"correction": True}
    return {}


def _staff_member(email_or_user, tier: str) -> User:
    """An active staff member who works cases at `tier` (a case is assigned to be worked)."""
    user = email_or_user
    if not isinstance(user, User):
        user = User.objects.filter(email__iexact=str(email_or_user).strip(), is_active=True).first()
    if user is None or not is_staff_member(user):
        raise ValidationError({"assignee": _("Choose an active staff member.")}, code="invalid")
    if authority.grant(user, tier, "claim") is None:
        raise ValidationError(
            {"assignee": _("This person does not work cases at this tier.")}, code="invalid"
        )
    return user


def _assign(ticket: Ticket, actor: User | None, assignee: User | None, team=None, **data) -> None:
    if (
        assignee is not None
        and assignee.pk == ticket.assignee_id
        and (team is None or team.pk == ticket.team_id)
    ):
        return
    _record(
        ticket,
        actor,
        EventKind.ASSIGNED,
        assignee=assignee.email if assignee else None,
        team=(team or ticket.team).code if (team or ticket.team) else None,
        previous=ticket.assignee.email if ticket.assignee_id else None,
        **data,
    )
    ticket.assignee = assignee
    if team is not None:
        ticket.team = team


@transaction.atomic
def ticket_claim(*, ticket: Ticket, actor: User) -> Ticket:
    """Take the case: it is yours, and a new case is open from now on."""
    ticket = _lock(ticket)
    require_staff(ticket, actor, "claim")
    _assign(ticket, actor, actor, claimed=True)
    changed = ["assignee", "updated_at"]
    if ticket.status == Status.NEW:
        set_status(ticket, actor, Status.OPEN)
        changed += ["status", *clock_tick(ticket, clock.refresh_step)]
    ticket.save(update_fields=changed)
    return ticket


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor: User | None, assignee=None, team=None) -> Ticket:
    """Hand the case to a staff member, or to a team's queue (nobody assigned)."""
    from accounts.models import Team

    ticket = _lock(ticket)
    if actor is None:
        transitions.check(ticket, "assign", transitions.SYSTEM)
    else:
        require_staff(ticket, actor, "assign")
    if assignee is None and team is None:
        raise ValidationError({"assignee": _("Name a staff member or a team.")}, code="required")
    if team is not None and not isinstance(team, Team):
        team = Team.objects.filter(code=str(team)).first()
        if team is None:
            raise ValidationError({"team": _("Unknown team.")}, code="invalid")
    person = _staff_member(assignee, ticket.tier) if assignee is not None else None
    _assign(ticket, actor, person, team)
    ticket.save(update_fields=["assignee", "team", "updated_at"])
    return ticket


def _route_round_robin(ticket: Ticket) -> None:
    """A new case goes to the next available agent of its team, in turn, if the team wants.

    Only agents: a new case is at support, and only those who work a tier are assigned there.
    """
    from accounts.models import Team

    # The lock serializes the filings of a team: taken only when the team wants its turns.
    if ticket.team is None or not ticket.team.round_robin:
        return
    team = Team.objects.select_for_update().get(pk=ticket.team_id)
    if not team.round_robin:
        return
    members = list(
        team.members.filter(is_active=True, is_available=True, groups__name=roles.AGENT)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not members:
        return
    after = [pk for pk in members if team.last_assignee_id is None or pk > team.last_assignee_id]
    chosen = User.objects.get(pk=(after or members)[0])
    _assign(ticket, None, chosen, round_robin=True)
    ticket.save(update_fields=["assignee"])
    team.last_assignee = chosen
    team.save(update_fields=["last_assignee"])


@transaction.atomic
def ticket_reject(*, ticket: Ticket, actor: User, reason: str) -> Ticket:
    """Refuse an invalid complaint; the customer sees why and may appeal."""
    ticket = _lock(ticket)
    require_staff(ticket, actor, "reject")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Tell the customer why.")}, code="required")
    message = Message.objects.create(ticket=ticket, author=actor, body=reason, from_staff=True)
    _record(ticket, actor, EventKind.MESSAGE, message=message.pk)
    set_status(ticket, actor, Status.REJECTED, reason=reason)
    now = timezone.now()
    # The customer may appeal a rejection until the window ends; then the case closes.
    ticket.lifecycle_due_at = now + timedelta(days=settings.REDRESS_APPEAL_WINDOW_DAYS)
    # The rejection is the final decision unless the customer appeals it in time.
    regulator.stop(ticket, now)
    changed = [
        "status",
        "updated_at",
        "lifecycle_due_at",
        *regulator.FIELDS,
        *clock_tick(ticket, clock.staff_replied, stop_unresolved, now=now),
    ]
    ticket.save(update_fields=changed)

    search.reindex(ticket.pk)
    outbox.enqueue(NOTIFY, "ticket_rejected", message.pk)
    return ticket


@transaction.atomic
def ticket_propose_resolution(
    *, ticket: Ticket, actor: User, kind: str, summary: str, amount=None, asset=None
):
    """Propose an outcome; the customer owes an answer, so the clock waits on them."""
    from tickets.models import Asset, Resolution, ResolutionKind

    ticket = _lock(ticket)
    require_staff(ticket, actor, "propose_resolution")
    errors = {}
    if kind not in ResolutionKind.values:
        errors["kind"] = _("Choose a kind of resolution.")
    summary = summary.strip()
    if not summary:
        errors["summary"] = _("Explain the outcome to the customer.")
    if kind == ResolutionKind.COMPENSATION:
        if amount in (None, ""):
            errors["amount"] = _("Compensation needs an amount.")
        if not asset:
            errors["asset"] = _("Compensation needs an asset.")
    if errors:
        raise ValidationError(errors)
    if kind == ResolutionKind.COMPENSATION:
        try:
            amount = clean_amount(amount)
        except ValidationError as error:
            raise ValidationError({"amount": error.messages}) from error
        asset_obj = Asset.objects.filter(code__iexact=str(asset), is_active=True).first()
        if asset_obj is None:
            raise ValidationError({"asset": _("Unknown asset.")})
        try:
            check_places(amount, asset_obj)
        except ValidationError as error:
            raise ValidationError({"amount": error.messages}) from error
    else:
        amount, asset_obj = None, None
    ticket.resolutions.filter(
        state__in=[Resolution.State.PROPOSED, Resolution.State.PENDING_APPROVAL]
    ).update(state=Resolution.State.WITHDRAWN)
    resolution = Resolution(
        ticket=ticket,
        tier=ticket.tier,
        kind=kind,
        summary=summary,
        amount=amount,
        asset=asset_obj,
        proposed_by=actor,
    )
    if kind == ResolutionKind.COMPENSATION:
        value_compensation(resolution)
    resolution.save()
    if resolution_needs_approval(resolution):
        # Four eyes: the customer sees nothing until a second person approves.
        resolution.state = Resolution.State.PENDING_APPROVAL
        resolution.save(update_fields=["state"])
        _record(
            ticket,
            actor,
            EventKind.RESOLUTION,
            internal=True,
            resolution=resolution.pk,
            resolution_kind=kind,
            amount=amount_text(amount, asset_obj),
            asset=asset_obj.code,
            awaiting_approval=True,
            **_valuation_data(resolution),
        )
        ticket.save(update_fields=["updated_at"])
        outbox.enqueue(NOTIFY, "approval_waiting", resolution.pk)
        return resolution
    publish_proposal(ticket, resolution)
    return resolution


@transaction.atomic
def ticket_change_priority(*, ticket: Ticket, actor: User, priority: str, reason: str) -> Ticket:
    from tickets.models import Priority

    ticket = _lock(ticket)
    require_staff(ticket, actor, "change_priority")
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Choose a priority.")}, code="invalid")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the priority changes.")}, code="required")
    if priority == ticket.priority:
        return ticket
    _record(
        ticket,
        actor,
        EventKind.PRIORITY,
        previous=ticket.priority,
        priority=priority,
        reason=reason.strip(),
    )
    ticket.priority = priority
    ticket.save(update_fields=["priority", "updated_at", *clock_tick(ticket, clock.change_policy)])
    return ticket


@transaction.atomic
def ticket_change_category(
    *, ticket: Ticket, actor: User, category: Category, reason: str
) -> Ticket:
    """A case filed under the wrong category moves to the right one and its team."""
    ticket = _lock(ticket)
    require_staff(ticket, actor, "change_category")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the category changes.")}, code="required")
    if category.pk == ticket.category_id:
        return ticket
    _record(
        ticket,
        actor,
        EventKind.CATEGORY,
        previous=ticket.category.code,
        category=category.code,
        reason=reason.strip(),
    )
    ticket.category = category
    changed = ["category", "updated_at"]
    if category.team_id and category.team_id != ticket.team_id:
        _assign(ticket, actor, None, category.team, reason="category changed")
        changed += ["team", "assignee"]
    ticket.save(update_fields=[*changed, *clock_tick(ticket, clock.change_policy)])
    return ticket


@transaction.atomic
def ticket_merge(*, ticket: Ticket, actor: User, into: Ticket) -> Ticket:
    """Close a duplicate into the case that carries on; both keep the link in their history."""
    if into.pk == ticket.pk:
        raise ValidationError({"into": _("A case cannot be merged into itself.")}, code="invalid")
    # Lock both rows in id order so two opposite merges cannot deadlock.
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update()
        .filter(pk__in=[ticket.pk, into.pk])
        .order_by("pk")
    }
    ticket, into = locked[ticket.pk], locked[into.pk]
    require_staff(ticket, actor, "merge")
    # The case that carries on gets an event too: the actor must be able to work it as well.
    into_grant = authority.require(actor, into.tier, "merge")
    into._correction_by = actor.pk if into_grant.correction else None
    if into.customer_id != ticket.customer_id:
        raise ValidationError(
            {"into": _("Only cases of the same customer can be merged.")}, code="invalid"
        )
    if into.status == Status.CLOSED:
        raise ValidationError(
            {"into": _("That case is closed; merge into an open one.")}, code="invalid"
        )
    _record(ticket, actor, EventKind.MERGED, into=into.reference)
    _record(into, actor, EventKind.MERGED, merged=ticket.reference)
    set_status(ticket, actor, Status.CLOSED, merged_into=into.reference)
    now = timezone.now()
    ticket.merged_into = into
    ticket.closed_at = now
    # The complaint goes on in the case it was merged into, under that case's deadline.
    regulator.stop(ticket, now)
    changed = [*clock_tick(ticket, stop_unresolved, now=now), *regulator.FIELDS]
    ticket.save(update_fields=["status", "merged_into", "closed_at", "updated_at", *changed])
    into.save(update_fields=["updated_at"])
    return ticket


@transaction.atomic
def ticket_open_anyway(*, ticket: Ticket, actor: User, reason: str) -> TicketEvent:
    """A supervisor opens a case outside their teams and tiers: recorded, with why.

    The internal audit event is the access itself: tickets.selectors lets its actor read
    the case for OPEN_ANYWAY_HOURS after it (README, "Who may read what").
    """
    if not authority.is_admin(actor):
        raise NotAllowed(_("Only admins may open a case outside their teams and tiers."))
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Say why you open this case; it is recorded in its audit trail.")},
            code="required",
        )
    return _record(ticket, actor, EventKind.ACCESS, internal=True, reason=reason[:500])


def _noon_utc(day) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


@transaction.atomic
def ticket_record_delay_notice(
    *, ticket: Ticket, actor: User, reason: str, expected_by
) -> DelayNotice:
    """The desk cannot decide by the final-decision deadline: tell the customer why and when.

    The deadline itself stays (the regulator counts from filing); the customer is mailed
    the notice in their language once it commits.
    """
    ticket = _lock(ticket)
    require_staff(ticket, actor, "delay_notice")
    reason = reason.strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Tell the customer why the decision takes longer.")
    today = timezone.localdate()
    due = ticket.final_decision_due_at
    if expected_by is None:
        errors["expected_by"] = _("Give the date by which the customer can expect the decision.")
    elif expected_by <= today:
        errors["expected_by"] = _("The expected date must be in the future.")
    elif due is not None and expected_by <= timezone.localdate(due):
        errors["expected_by"] = _(
            "The expected date must be after the final-decision deadline (%(due)s)."
        ) % {"due": timezone.localdate(due).isoformat()}
    if errors:
        raise ValidationError(errors)
    notice = DelayNotice.objects.create(
        ticket=ticket, reason=reason, expected_by=expected_by, recorded_by=actor
    )
    _record(
        ticket,
        actor,
        EventKind.DELAY_NOTICE,
        notice=notice.pk,
        reason=reason,
        expected_by=expected_by.isoformat(),
    )
    ticket.save(update_fields=["updated_at"])

    outbox.enqueue(
        "mail.tasks.notify_customer",
        ticket.pk,
        "delay_notice",
        str(notice.pk),
        # A date at noon UTC reads as the same day in every time zone of the customers.
        {"reason": notice.reason, "expected_at": _noon_utc(notice.expected_by).isoformat()},
    )
    return notice
