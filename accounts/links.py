"""Single-use links mailed to one person (AccessLink): only the token's hash is stored.

A link is issued when its mail is sent, so the token exists only in that mail; issuing a
new link of a kind voids the person's earlier unused ones, so only the latest one works.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import AccessLink, User


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def link_issue(
    *, kind: str, user: User, lifetime: timedelta, created_by: User | None = None
) -> str:
    """A new link's token (to put in a URL); earlier unused links of the kind stop working."""
    now = timezone.now()
    AccessLink.objects.filter(kind=kind, user=user, used_at__isnull=True).update(used_at=now)
    token = secrets.token_urlsafe(32)
    AccessLink.objects.create(
        kind=kind,
        user=user,
        token_hash=_hash(token),
        created_by=created_by,
        created_at=now,
        expires_at=now + lifetime,
    )
    return token


def link_find(*, kind: str, token: str) -> AccessLink | None:
    """The link for `token` if it is of this kind, unused and unexpired."""
    if not token or len(token) > 100:
        return None
    return (
        AccessLink.objects.select_related("user")
        .filter(
            kind=kind,
            token_hash=_hash(token),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .first()
    )


def link_owner(*, kind: str, token: str) -> User | None:
    """Whose link this is, used or not (a second click on a confirmation link)."""
    link = AccessLink.objects.select_related("user").filter(kind=kind, token_hash=_hash(token))
    found = link.first()
    return found.user if found else None


def link_consume(*, kind: str, token: str) -> AccessLink | None:
    """Mark the link used and return it, once: a second call (or a racing one) gets None."""
    with transaction.atomic():
        link = link_find(kind=kind, token=token)
        if link is None:
            return None
        claimed = AccessLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
    return link if claimed else None
