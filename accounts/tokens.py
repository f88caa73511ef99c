"""API tokens: issued at sign-in, expiring, listed and revoked by their owner and admins.

A password change or reset revokes them all (accounts.models.User.save). The key is shown
once, when issued; the database keeps only its SHA-256, so a copy of the database opens
no API session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts import audit
from accounts.models import AccountEvent, ApiToken, User

# A token's last use is written at most this often: not a write on every request.
_LAST_USED_PRECISION = timedelta(minutes=5)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_issue(
    *, user: User, name: str = "", request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """A new token for `user` and its key (shown to the caller once, never stored)."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        key_hash=_hash(key),
        prefix=key[:8],
        created_at=now,
        expires_at=now + timedelta(days=settings.REDRESS_API_TOKEN_DAYS),
    )
    audit.record(user, AccountEvent.Kind.TOKEN_ISSUED, request=request, token=token.prefix)
    return token, key


def tokens_active(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: User, request: HttpRequest | None = None) -> None:
    """End one token; its owner or an admin. Revoking a revoked token changes nothing."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit.record(
            token.user,
            AccountEvent.Kind.TOKEN_REVOKED,
            actor=actor,
            request=request,
            token=token.prefix,
        )


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` for an ApiToken that is neither revoked nor expired."""

    model = ApiToken

    def authenticate_credentials(self, key):
        now = timezone.now()
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=_hash(key), revoked_at__isnull=True, expires_at__gt=now)
            .first()
        )
        # One answer for unknown, expired and revoked keys: the client needs a new token.
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(
                _("This token is not valid (unknown, expired or revoked): ask for a new one."),
                code="token_invalid",
            )
        if token.last_used_at is None or now - token.last_used_at > _LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return (token.user, token)
