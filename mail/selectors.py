"""Reads of the mail room for staff pages."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from accounts.roles import is_staff_member
from mail.kinds import CUSTOMER, STAFF
from mail.models import Bounce, InboundMessage, OptOut


def audience_of(user: User) -> str:
    return STAFF if is_staff_member(user) else CUSTOMER


def turned_off(user: User) -> set[str]:
    return set(OptOut.objects.filter(user=user).values_list("kind", flat=True))


def quarantine() -> QuerySet[InboundMessage]:
    return InboundMessage.objects.filter(state=InboundMessage.State.QUARANTINED).defer("raw")


def bounces() -> QuerySet[Bounce]:
    return Bounce.objects.all()


def bounce_for(address: str) -> Bounce | None:
    return Bounce.objects.filter(address=address.strip().lower()).first()
