"""Reads the reports' views, API and tasks share, scoped to what the reader may see.

Admins read every team's reports; a team lead (accounts.teams) reads those of the teams
they lead; nobody else reads reports. Ratings are found by their signed link (bound to the
case and its customer) or, for a signed-in customer, on their own case.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import User
from accounts.teams import led_team_ids
from reports.models import Rating
from tickets.models import Ticket

_RATING_SALT = "reports.rating"


@dataclass(frozen=True)
class Scope:
    """What a reader may see: every team (`team_ids` None) or these teams only."""

    team_ids: frozenset[int] | None

    @property
    def everything(self) -> bool:
        return self.team_ids is None


def is_admin(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or roles.has_role(user, roles.ADMIN))


def report_scope(user: User) -> Scope | None:
    """The reader's scope, or None for someone who reads no reports."""
    if not (user.is_authenticated and user.is_active and roles.is_staff_member(user)):
        return None
    if is_admin(user):
        return Scope(None)
    led = led_team_ids(user)
    return Scope(frozenset(led)) if led else None


def rating_token(rating: Rating) -> str:
    """The signed part of a rating link: this rating, for this case's customer."""
    return signing.dumps([rating.pk, rating.ticket.customer_id], salt=_RATING_SALT)


def rating_link(rating: Rating) -> str:
    return reverse("reports:rate_link", args=[rating.ticket.reference, rating_token(rating)])


def rating_from_link(reference: str, token: str) -> Rating:
    """The rating a link is for, or 404 if the link was changed or is for another case."""
    try:
        rating_id, customer_id = signing.loads(token, salt=_RATING_SALT)
        rating = Rating.objects.select_related("ticket__customer").get(pk=rating_id)
    except (signing.BadSignature, ValueError, TypeError, Rating.DoesNotExist):
        raise Http404 from None
    ticket = rating.ticket
    if ticket.reference != reference.upper() or ticket.customer_id != customer_id:
        raise Http404
    return rating


def open_rating(ticket: Ticket) -> Rating | None:
    """The rating the case's customer can give or change now, if any."""
    return ticket.ratings.filter(valid_until__gt=timezone.now()).order_by("-resolved_at").first()
