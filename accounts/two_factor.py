"""Staff two-factor sign-in: TOTP devices (django-otp), backup codes, enrolment.

The web sign-in (accounts.views), the token endpoint (accounts.api.TokenView), the
enrolment and security pages and the demo seed all come here, so they cannot disagree
about what counts as a valid second factor. A wrong code (authenticator or backup) is
reported to django-axes as a failed login, so it counts towards the lockout exactly like a
wrong password.

Enrolment: an admin issues an invitation (`enrolment_invite`), mailed as a single-use link
that works REDRESS_ENROLMENT_HOURS. Its owner gives their password, scans the QR code of a
new, unconfirmed device, and confirms it with a code (`enrolment_confirm`); the link is
used up then, any earlier device is replaced, and ten backup codes are shown once. Each
backup code signs in once; only a keyed hash of it is stored. Replacing the codes or
removing the device needs the password and a fresh code. Every change is recorded as an
AccountEvent and mailed to the staff member.
"""

from __future__ import annotations

import base64
import binascii
import math
import secrets

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit, links
from accounts.models import AccessLink, AccountEvent, BackupCode, User
from accounts.roles import is_staff_member
from outbox.relay import enqueue

NOT_ENROLLED = _(
    "Two-factor sign-in is not set up for your staff account yet, so you cannot sign in. "
    "Ask an administrator to enroll your authenticator app: they will mail you a link to "
    "set it up."
)
CODE_REQUIRED = _("Enter the 6-digit code from your authenticator app.")
CODE_WRONG = _(
    "That code is not right. Codes change every 30 seconds: enter the one shown now, "
    "or one of your backup codes."
)
CODE_THROTTLED = ngettext_lazy(
    "Too many wrong codes in a row. Wait %(seconds)d second, then try again.",
    "Too many wrong codes in a row. Wait %(seconds)d seconds, then try again.",
    "seconds",
)


class SecondFactorRefused(Exception):
    """The second factor was missing, wrong, throttled, or the user has no device."""

    def __init__(self, code: str, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after


def has_device(user: User) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def code_verify(*, request: HttpRequest, user: User, code: str) -> TOTPDevice:
    """The device `code` signs `user` in with, or SecondFactorRefused.

    `code` is the authenticator's current code or an unused backup code (which is used up
    and signs in with the user's authenticator device). `request` is the Django request (not
    DRF's): django-axes marks it when a wrong code completes a lockout, and its middleware
    answers with the lockout page.
    """
    code = "".join(str(code or "").split())
    if not code:
        if not has_device(user):
            raise SecondFactorRefused("not_enrolled", str(NOT_ENROLLED))
        raise SecondFactorRefused("otp_required", str(CODE_REQUIRED))
    with transaction.atomic():
        devices = list(
            TOTPDevice.objects.devices_for_user(user, confirmed=True)
            .select_for_update()
            .order_by("pk")
        )
        if not devices:
            raise SecondFactorRefused("not_enrolled", str(NOT_ENROLLED))
        if not code.isdigit():
            accepted = devices[0] if _backup_code_use(user, code, request) else None
        else:
            allowed, waits = [], []
            for device in devices:
                ok, detail = device.verify_is_allowed()
                if ok:
                    allowed.append(device)
                elif detail and detail.get("locked_until"):
                    waits.append((detail["locked_until"] - timezone.now()).total_seconds())
            if not allowed:
                seconds = max(1, math.ceil(min(waits, default=1)))
                raise SecondFactorRefused(
                    "otp_throttled", str(CODE_THROTTLED % {"seconds": seconds}), retry_after=seconds
                )
            # verify_token() refuses a code it has accepted before and throttles after a failure.
            accepted = next((d for d in allowed if d.verify_token(code)), None)
    if accepted is None:
        user_login_failed.send(
            sender=__name__, credentials={"username": user.email}, request=request
        )
        raise SecondFactorRefused("otp_invalid", str(CODE_WRONG))
    return accepted


# --- Backup codes ---------------------------------------------------------------

# No 0/o, 1/l/i: a code copied from paper is read back right.
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_BACKUP_LENGTH = 10


def _normalize_backup_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _backup_hash(code: str) -> str:
    # Keyed with SECRET_KEY: a copy of the table alone does not let anyone try codes offline.
    return salted_hmac(
        "redress.accounts.backup_code", _normalize_backup_code(code), algorithm="sha256"
    ).hexdigest()


def _backup_code_use(user: User, code: str, request: HttpRequest | None) -> bool:
    """Use up one of `user`'s backup codes; False if `code` is none of the unused ones."""
    used = BackupCode.objects.filter(
        user=user, code_hash=_backup_hash(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    if used:
        left = BackupCode.objects.filter(user=user, used_at__isnull=True).count()
        _notify(audit.record(user, AccountEvent.Kind.BACKUP_CODE_USED, request=request, left=left))
    return bool(used)


def _backup_codes_replace(user: User) -> list[str]:
    BackupCode.objects.filter(user=user).delete()
    codes = [
        "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(_BACKUP_LENGTH))
        for _ in range(settings.REDRESS_BACKUP_CODES)
    ]
    BackupCode.objects.bulk_create(BackupCode(user=user, code_hash=_backup_hash(c)) for c in codes)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def backup_codes_left(user: User) -> int:
    return BackupCode.objects.filter(user=user, used_at__isnull=True).count()


def _notify(event: AccountEvent) -> None:
    enqueue("accounts.tasks.send_security_notice", event.pk)


# --- Enrolment ------------------------------------------------------------------

ENROLMENT_DEVICE_NAME = "Authenticator app"


@transaction.atomic
def enrolment_invite(*, user: User, invited_by: User, request: HttpRequest | None = None) -> None:
    """Mail `user` a single-use link to enrol their authenticator (REDRESS_ENROLMENT_HOURS)."""
    if not is_staff_member(user) or not user.is_active:
        raise ValidationError(_("Only active staff members enrol an authenticator."))
    audit.record(
        user,
        AccountEvent.Kind.ENROLMENT_INVITED,
        actor=invited_by,
        request=request,
        hours=settings.REDRESS_ENROLMENT_HOURS,
    )
    enqueue("accounts.tasks.send_enrolment_invitation", user.pk, invited_by.pk)


def enrolment_link(token: str) -> AccessLink | None:
    link = links.link_find(kind=AccessLink.Kind.ENROL, token=token)
    return link if link is not None and is_staff_member(link.user) else None


def password_check(*, request: HttpRequest, user: User, password: str) -> None:
    """The password of `user`, through authenticate(): a wrong one counts to the lockout."""
    if authenticate(request, email=user.email, password=password) is None:
        raise ValidationError({"password": _("That is not your password.")}, code="wrong_password")


@transaction.atomic
def enrolment_device(*, user: User) -> TOTPDevice:
    """A new, unconfirmed device for the enrolment page's QR code (earlier ones dropped)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=ENROLMENT_DEVICE_NAME, confirmed=False)


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an SVG QR code: inline markup, no script, no style."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    return image.to_string(encoding="unicode")


def secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def enrolment_confirm(
    *, token: str, user: User, device_id: int, code: str, request: HttpRequest
) -> tuple[TOTPDevice, list[str]]:
    """Confirm the new device with its first code: the link is used up, any earlier device
    is replaced, and the ten backup codes are returned (to show once)."""
    device = TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()
    if device is None:
        raise ValidationError({"otp_token": _("Start again from the link in your mail.")})
    # Outside the transaction below: the device's throttle after a wrong code must stick.
    if not device.verify_token("".join(str(code).split())):
        raise ValidationError({"otp_token": str(CODE_WRONG)}, code="otp_invalid")
    with transaction.atomic():
        link = links.link_consume(kind=AccessLink.Kind.ENROL, token=token)
        if link is None or link.user_id != user.pk:
            raise ValidationError(_("This invitation has expired or was used already."))
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _backup_codes_replace(user)
        _notify(
            audit.record(
                user,
                AccountEvent.Kind.ENROLLED,
                request=request,
                invited_by=link.created_by.email if link.created_by else None,
            )
        )
    return device, codes


def _password_and_fresh_code(*, request: HttpRequest, user: User, password: str, code: str):
    # Not inside a transaction: a wrong password or code is recorded for the lockout even
    # though the change it asked for is refused.
    password_check(request=request, user=user, password=password)
    try:
        code_verify(request=request, user=user, code=code)
    except SecondFactorRefused as refusal:
        raise ValidationError({"otp_token": refusal.message}, code=refusal.code) from None


def backup_codes_regenerate(
    *, request: HttpRequest, user: User, password: str, code: str
) -> list[str]:
    """Ten new backup codes in place of the old ones: needs the password and a fresh code."""
    _password_and_fresh_code(request=request, user=user, password=password, code=code)
    with transaction.atomic():
        codes = _backup_codes_replace(user)
        _notify(audit.record(user, AccountEvent.Kind.BACKUP_CODES_REGENERATED, request=request))
    return codes


def device_remove(*, request: HttpRequest, user: User, password: str, code: str) -> None:
    """Remove the authenticator and backup codes; signing in again needs a new invitation."""
    _password_and_fresh_code(request=request, user=user, password=password, code=code)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        BackupCode.objects.filter(user=user).delete()
        _notify(audit.record(user, AccountEvent.Kind.DEVICE_REMOVED, request=request))


def base32_to_hex(secret: str) -> str:
    """An authenticator app's base32 secret as the hex key TOTPDevice stores."""
    cleaned = "".join(secret.split()).upper()
    padded = cleaned + "=" * (-len(cleaned) % 8)
    try:
        raw = base64.b32decode(padded)
    except binascii.Error as error:
        raise ValueError(f"Not a base32 TOTP secret: {secret!r}") from error
    if len(raw) < 10:
        raise ValueError("A TOTP secret needs at least 80 bits (16 base32 characters).")
    return raw.hex()


@transaction.atomic
def totp_enroll(*, user: User, base32_secret: str, name: str) -> TOTPDevice:
    """A confirmed TOTP device named `name` for `user` with the given secret (idempotent)."""
    key = base32_to_hex(base32_secret)
    device, created = TOTPDevice.objects.get_or_create(
        user=user, name=name, defaults={"key": key, "confirmed": True}
    )
    if not created and (device.key != key or not device.confirmed):
        device.key, device.confirmed, device.last_t = key, True, -1
        device.save(update_fields=["key", "confirmed", "last_t"])
    return device
