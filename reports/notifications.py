"""The reports' mails: the rating request (the customer's language, through the tickets'
customer mail), the low-score alert to the team's leads, and the summaries to their readers.

Small on purpose: each renders one template pair under templates/reports/email/.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts import roles
from accounts.models import User
from accounts.teams import lead_emails
from reports.models import Rating, Summary
from reports.selectors import rating_link
from tickets.notifications import send_to_customer


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _admins() -> list[str]:
    return list(
        User.objects.filter(Q(is_superuser=True) | Q(groups__name=roles.ADMIN), is_active=True)
        .values_list("email", flat=True)
        .distinct()
    )


def _staff_mail(template: str, context: dict, recipients: list[str]) -> None:
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"reports/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"reports/email/{template}.txt", context)
    send_mail(subject, body, None, recipients)


def rating_request(rating_id: int) -> None:
    rating = Rating.objects.select_related("ticket__customer__customer_profile").get(pk=rating_id)
    if rating.rated_at is not None or not rating.is_valid:
        return  # rated from the case page already, or too late to ask
    send_to_customer(
        rating.ticket,
        "reports/email/rating_request",
        {"rating": rating, "rating_url": _absolute(rating_link(rating))},
    )


def low_score(rating_id: int) -> None:
    """A 1 or 2: the leads of the team that handled it (admins when it has none)."""
    rating = Rating.objects.select_related("ticket", "team", "assignee").get(pk=rating_id)
    recipients = lead_emails([rating.team_id]).get(rating.team_id) or _admins()
    link = _absolute(reverse("staff:ticket", args=[rating.ticket.reference]))
    _staff_mail("low_score", {"rating": rating, "link": link}, recipients)


def summary(summary_id: int) -> None:
    """A week's or month's summary: to admins, or to the leads of its team."""
    kept = Summary.objects.select_related("team").get(pk=summary_id)
    recipients = lead_emails([kept.team_id]).get(kept.team_id, []) if kept.team_id else _admins()
    figures = [
        (report["title"], report["summary"]) for report in kept.data.get(settings.LANGUAGE_CODE, [])
    ]
    link = _absolute(reverse("reports:summary", args=[kept.pk]))
    _staff_mail("summary", {"summary": kept, "figures": figures, "link": link}, recipients)
