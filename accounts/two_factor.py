"""Staff two-factor sign-in: TOTP devices (django-otp), checking a code, enrolling a device.

The web sign-in (accounts.views), the token endpoint (tickets.api.views.TokenView) and the
demo seed all come here, so they cannot disagree about what counts as a valid second factor.
A wrong code is reported to django-axes as a failed login, so it counts towards the lockout
exactly like a wrong password.
"""

from __future__ import annotations

import base64
import binascii
import math

from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

NOT_ENROLLED = _(
    "Two-factor sign-in is not set up for your staff account yet, so you cannot sign in. "
    "Ask an administrator to enroll your authenticator app, then try again."
)
CODE_REQUIRED = _("Enter the 6-digit code from your authenticator app.")
CODE_WRONG = _("That code is not right. Codes change every 30 seconds: enter the one shown now.")
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
    """The device that accepts `code` for `user`, or SecondFactorRefused.

    `request` is the Django request (not DRF's): django-axes marks it when a wrong code
    completes a lockout, and its middleware answers with the lockout page.
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
