"""Writes to accounts: sign-up and its confirmation, profile and password changes."""

from __future__ import annotations

from django.contrib.auth import password_validation, update_session_auth_hash
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, links, roles
from accounts.models import AccessLink, AccountEvent, CustomerProfile, User
from outbox.relay import enqueue


@transaction.atomic
def customer_sign_up(
    *,
    email: str,
    password: str,
    full_name: str = "",
    exchange_uid: str = "",
    preferred_language: str = "en",
    request: HttpRequest | None = None,
) -> None:
    """Mail the address a link to confirm it; the account can file once it is confirmed.

    Returns nothing and behaves alike whether or not the address has an account, so the
    sign-up page cannot be used to learn who is a customer: an address that has one gets
    a mail saying so (or, if never confirmed, a new confirmation link) instead.
    """
    email = User.objects.normalize_email(email).lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        make_password(password)  # as long as creating an account takes: no timing tell
        if existing.email_verified or not existing.is_active:
            enqueue("accounts.tasks.send_already_registered", existing.pk)
        else:
            enqueue("accounts.tasks.send_email_verification", existing.pk)
        return
    user = User.objects.create_user(email=email, password=password, full_name=full_name.strip())
    CustomerProfile.objects.create(
        user=user, exchange_uid=exchange_uid.strip(), preferred_language=preferred_language
    )
    user.groups.add(Group.objects.get(name=roles.CUSTOMER))
    audit.record(user, AccountEvent.Kind.SIGNED_UP, request=request)
    enqueue("accounts.tasks.send_email_verification", user.pk)


@transaction.atomic
def email_confirm(*, token: str, request: HttpRequest | None = None) -> User | None:
    """Confirm the address the link was mailed to; None for a used, expired or unknown link."""
    link = links.link_consume(kind=AccessLink.Kind.VERIFY_EMAIL, token=token)
    if link is None:
        # Opened twice (or by a mail scanner first): already confirmed is confirmed.
        owner = links.link_owner(kind=AccessLink.Kind.VERIFY_EMAIL, token=token)
        return owner if owner is not None and owner.email_verified else None
    user = link.user
    if not user.email_verified:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        audit.record(user, AccountEvent.Kind.EMAIL_VERIFIED, request=request)
    return user


def email_verification_resend(*, user: User) -> None:
    if not user.email_verified:
        with transaction.atomic():
            enqueue("accounts.tasks.send_email_verification", user.pk)


def profile_update(*, user: User, full_name: str, exchange_uid: str, preferred_language: str):
    profile, _created = CustomerProfile.objects.get_or_create(user=user)
    user.full_name = full_name.strip()
    user.save(update_fields=["full_name"])
    profile.exchange_uid = exchange_uid.strip()
    profile.preferred_language = preferred_language
    profile.save(update_fields=["exchange_uid", "preferred_language"])
    return profile


def _notify(event: AccountEvent) -> None:
    enqueue("accounts.tasks.send_security_notice", event.pk)


@transaction.atomic
def password_change(
    *, user: User, old_password: str, new_password: str, request: HttpRequest
) -> None:
    """The owner's new password; API tokens end (User.save), this browser stays signed in."""
    if not user.check_password(old_password):
        raise ValidationError(
            {"old_password": _("That is not your current password.")}, code="wrong_password"
        )
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as error:
        raise ValidationError({"new_password1": error.messages}) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    update_session_auth_hash(request, user)  # other browsers are signed out
    _notify(audit.record(user, AccountEvent.Kind.PASSWORD_CHANGED, request=request))


@transaction.atomic
def password_reset_complete(*, user: User, request: HttpRequest | None = None) -> None:
    """After a reset link set a new password: the link proved the mailbox, so the address
    is confirmed; tokens ended with the old password (User.save)."""
    if not user.email_verified:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    _notify(audit.record(user, AccountEvent.Kind.PASSWORD_RESET, request=request))
