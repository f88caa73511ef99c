"""The account's security trail: one row per sign-in change, written with the change."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.client_address import client_ip
from accounts.models import AccountEvent, User


def record(
    user: User,
    kind: str,
    *,
    actor: User | None = None,
    request: HttpRequest | None = None,
    **data,
) -> AccountEvent:
    """Write one AccountEvent; `actor` defaults to the account itself, `request` gives the address."""
    return AccountEvent.objects.create(
        user=user,
        actor=actor if actor is not None else user,
        kind=kind,
        ip_address=client_ip(request) if request is not None else None,
        data=data,
    )
