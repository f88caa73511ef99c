"""Writes of the mail room that people make: their preferences and staff's quarantine work."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from mail.kinds import choosable
from mail.models import InboundMessage, OptOut


@transaction.atomic
def preferences_set(*, user: User, audience: str, turned_off: set[str]) -> None:
    """Turn off exactly `turned_off` of the kinds this person may choose; required ones stay."""
    allowed = {kind.code for kind in choosable(audience)}
    off = turned_off & allowed
    OptOut.objects.filter(user=user, kind__in=allowed - off).delete()
    OptOut.objects.bulk_create(
        [OptOut(user=user, kind=code) for code in sorted(off)], ignore_conflicts=True
    )


@transaction.atomic
def inbound_dismiss(*, inbound_id: int, actor: User) -> InboundMessage:
    """Staff looked at a held message and let it go; it stays listed as dismissed."""
    row = InboundMessage.objects.select_for_update().get(
        pk=inbound_id, state=InboundMessage.State.QUARANTINED
    )
    row.state = InboundMessage.State.DISMISSED
    row.reviewed_by = actor
    row.processed_at = timezone.now()
    row.save(update_fields=["state", "reviewed_by", "processed_at"])
    return row
