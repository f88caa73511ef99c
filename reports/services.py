"""Writes of the reports app: satisfaction ratings, and the weekly and monthly summaries.

A resolved case (an accepted or auto-accepted proposal, or the committee's decision) is
asked for a rating once per resolution: `ratings_invite` finds the resolutions in the case
events since its watermark, as the fold finds changes, and records one Rating each with the
case's tier, team and assignee as they are then. The customer rates from a signed link or
their case page (`rating_submit`), and may change the rating until the appeal window ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_staff_member
from evidence.secret_guard import refuse_secrets
from outbox import relay as outbox
from reports.models import FoldState, Rating
from tickets.exceptions import InvalidTransition, NotAllowed
from tickets.models import EventKind, Resolution, Ticket, TicketEvent

INVITE = "ratings"
# As for the fold: events are read again from a little before the watermark.
OVERLAP = timedelta(minutes=10)
SCORES = range(1, 6)


def _resolutions(since: datetime, until: datetime) -> list[tuple[int, str, str, datetime]]:
    """(case id, resolution key, outcome, when) of the resolutions recorded in the window."""
    events = (
        TicketEvent.objects.filter(created_at__gte=since, created_at__lt=until)
        .filter(kind__in=[EventKind.ANSWER, EventKind.DECISION])
        .order_by("created_at", "id")
        .values_list("ticket_id", "kind", "created_at", "data")
    )
    decisions, accepted = [], []
    for ticket_id, kind, at, data in events:
        if kind == EventKind.DECISION:
            verdict = f"committee_{data['decision']}"
            decisions.append((ticket_id, f"panel:{data['panel']}", verdict, at))
        elif str(data.get("answer", "")).startswith("accepted"):  # by the customer or timeout
            accepted.append((ticket_id, data["resolution"], at))
    kinds = dict(
        Resolution.objects.filter(pk__in=[r for _, r, _ in accepted]).values_list("pk", "kind")
    )
    return decisions + [
        (ticket_id, f"resolution:{resolution}", kinds.get(resolution, ""), at)
        for ticket_id, resolution, at in accepted
    ]


@transaction.atomic
def ratings_invite(*, now: datetime | None = None) -> list[int]:
    """Ask for a rating of every resolution since the last run, once each; returns new ids.

    One worker at a time (the state row's lock); the unique (case, resolution) key keeps a
    resolution read twice from being asked twice.
    """
    now = now or timezone.now()
    FoldState.objects.get_or_create(name=INVITE, defaults={"watermark": now})
    state = FoldState.objects.select_for_update(skip_locked=True).filter(name=INVITE).first()
    if state is None:
        return []
    found = _resolutions(state.watermark - OVERLAP, now)
    state.watermark = now
    state.save(update_fields=["watermark"])
    if not found:
        return []
    ticket_ids = {ticket_id for ticket_id, *_ in found}
    asked = set(
        Rating.objects.filter(ticket_id__in=ticket_ids).values_list("ticket_id", "resolution_key")
    )
    cases = Ticket.objects.in_bulk(ticket_ids)
    window = timedelta(days=settings.REDRESS_APPEAL_WINDOW_DAYS)
    new = []
    for ticket_id, key, outcome, at in found:
        if (ticket_id, key) in asked or ticket_id not in cases:
            continue
        asked.add((ticket_id, key))
        case = cases[ticket_id]
        new.append(
            Rating(
                ticket=case,
                resolution_key=key,
                outcome=outcome,
                tier=case.tier,
                team_id=case.team_id,
                assignee_id=case.assignee_id,
                resolved_at=at,
                valid_until=at + window,
            )
        )
    created = Rating.objects.bulk_create(new)

    outbox.enqueue_all([("reports.tasks.send_rating_request", (rating.pk,)) for rating in created])
    return [rating.pk for rating in created]


def refuse_rater(user: User) -> None:
    """Someone signed in other than the case's customer opened a rating link."""
    if is_staff_member(user):
        raise NotAllowed(_("Staff cannot rate a case; only its customer can."))
    raise NotAllowed(_("This link is for another account: sign out to use it."))


def _score(value, field: str, errors: dict) -> int | None:
    try:
        score = int(value)
    except (TypeError, ValueError):
        score = None
    if score not in SCORES:
        errors[field] = _("Choose from 1 (very unhappy) to 5 (very happy).")
    return score


@transaction.atomic
def rating_submit(
    *, rating: Rating, customer: User, outcome_score, service_score, comment: str = ""
) -> Rating:
    """The customer rates the outcome and the service (1–5) with an optional comment.

    Staff never rate; the customer may change the rating until the link expires.
    """
    rating = Rating.objects.select_for_update().select_related("ticket").get(pk=rating.pk)
    if is_staff_member(customer):
        raise NotAllowed(_("Staff cannot rate a case; only its customer can."))
    if customer.pk != rating.ticket.customer_id:
        raise NotAllowed(_("Only the customer of this case can rate it."))
    now = timezone.now()
    if now >= rating.valid_until:
        raise InvalidTransition(
            _("Ratings for this case closed on %(when)s UTC.")
            % {"when": rating.valid_until.strftime("%Y-%m-%d %H:%M")}
        )
    errors: dict = {}
    outcome = _score(outcome_score, "outcome", errors)
    service = _score(service_score, "service", errors)
    comment = (comment or "").strip()
    try:
        refuse_secrets({"comment": comment})
    except ValidationError as error:
        errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    was_low, first = rating.is_low, rating.rated_at is None
    rating.outcome_score, rating.service_score, rating.comment = outcome, service, comment
    rating.rated_at = now
    rating.save(update_fields=["outcome_score", "service_score", "comment", "rated_at"])
    # The audit trail says that the customer rated; the reports read the scores from here.
    TicketEvent.objects.create(
        ticket=rating.ticket,
        actor=customer,
        kind=EventKind.RATED,
        data={"rating": rating.pk, "changed": not first},
    )
    if rating.is_low and not was_low:
        outbox.enqueue("reports.tasks.alert_low_score", rating.pk)
    return rating
