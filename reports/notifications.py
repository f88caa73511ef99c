"""The reports' mails, through the mail app (rendered once in the reader's language, sent
once, kept through a mail server's outage): the rating request to the customer, the
low-score alert to the team's leads, and the summaries to their readers.

Each is a `mail.compose.Outgoing` keyed by what it reports, so a task that runs twice
mails once; its templates are mail/email/<kind>.txt like every other mail's.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from accounts import roles
from accounts.models import User
from mail import tasks as mail
from mail.compose import Outgoing
from reports.models import Rating, Summary
from reports.selectors import rating_link


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _admins() -> list[User]:
    return list(
        User.objects.filter(Q(is_superuser=True) | Q(groups__name=roles.ADMIN), is_active=True)
        .distinct()
        .order_by("pk")
    )


def _leads(team) -> list[User]:
    return list(team.leads.filter(is_active=True).order_by("pk")) if team is not None else []


def rating_request(rating_id: int) -> None:
    rating = Rating.objects.select_related("ticket__customer__customer_profile").get(pk=rating_id)
    if rating.rated_at is not None or not rating.is_valid:
        return  # rated from the case page already, or too late to ask
    ticket = rating.ticket
    context = {"rating": rating, "rating_url": _absolute(rating_link(rating))}
    mail.send(
        [
            Outgoing(
                f"rating_request:{rating.pk}",
                "rating_request",
                "rating_request",
                ticket.customer,
                ticket,
                context,
            )
        ]
    )


def low_score(rating_id: int) -> None:
    """A 1 or 2: the leads of the team that handled it (admins when it has none)."""
    rating = Rating.objects.select_related("ticket", "team", "assignee").get(pk=rating_id)
    people = _leads(rating.team) or _admins()
    # A changed rating is new news: it is keyed by when it was given.
    key = f"low_score:{rating.pk}:{rating.rated_at.isoformat() if rating.rated_at else ''}"
    context = {"rating": rating}
    mail.send(
        [
            Outgoing(
                f"{key}:to:{person.pk}", "low_score", "low_score", person, rating.ticket, context
            )
            for person in people
        ]
    )


def summary(summary_id: int) -> None:
    """A week's or month's summary: to admins, or to the leads of its team."""
    kept = Summary.objects.select_related("team").get(pk=summary_id)
    people = _leads(kept.team) if kept.team_id else _admins()
    figures = [
        (report["title"], report["summary"]) for report in kept.data.get(settings.LANGUAGE_CODE, [])
    ]
    context = {
        "summary": kept,
        "figures": figures,
        "link": _absolute(reverse("reports:summary", args=[kept.pk])),
    }
    mail.send(
        [
            Outgoing(
                f"summary:{kept.pk}:to:{person.pk}", "summary", "summary", person, None, context
            )
            for person in people
        ]
    )
