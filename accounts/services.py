"""Writes to accounts: sign-up and profile changes."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import CustomerProfile, User


@transaction.atomic
def customer_register(
    *,
    email: str,
    password: str,
    full_name: str = "",
    exchange_uid: str = "",
    preferred_language: str = "en",
) -> User:
    """A new customer with a profile and the customer role."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": _("An account with this email exists already. Sign in instead.")},
            code="duplicate",
        )
    user = User.objects.create_user(email=email, password=password, full_name=full_name.strip())
    CustomerProfile.objects.create(
        user=user, exchange_uid=exchange_uid.strip(), preferred_language=preferred_language
    )
    user.groups.add(Group.objects.get(name=roles.CUSTOMER))
    return user


def profile_update(*, user: User, full_name: str, exchange_uid: str, preferred_language: str):
    profile, _created = CustomerProfile.objects.get_or_create(user=user)
    user.full_name = full_name.strip()
    user.save(update_fields=["full_name"])
    profile.exchange_uid = exchange_uid.strip()
    profile.preferred_language = preferred_language
    profile.save(update_fields=["exchange_uid", "preferred_language"])
    return profile
