"""Live-chat ratings as the satisfaction report reads them: counted per day in the database.

A chat ends with its own rating (chat.ChatRating: outcome and service, 1–5), apart from
the cases' ratings in the roll-ups. What comes back is bounded by the days and the 25
score pairs, never by the number of chats (the range is read by `chat_rating_created`).

A chat has no tier, priority or team of its own. It counts for the teams its agent is a
member of, so a team lead reads the ratings of the chats their teams' agents answered; a
chat the bot alone answered has no agent and counts only where every team is read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User
from chat.models import ChatRating
from reports.query import Distribution


def rating_scores(
    start: date,
    end: date,
    *,
    categories: tuple[int, ...],
    teams: frozenset[int] | None,
    period: Callable[[date], Hashable],
) -> tuple[dict[Hashable, Distribution], dict[Hashable, Distribution]]:
    """The outcome and the service scores given from `start` to `end` (both included), by
    `period(day)` of the day in the site's time zone; `teams` None for every team."""
    zone = timezone.get_default_timezone()
    since = datetime.combine(start, time.min, zone)
    until = datetime.combine(end + timedelta(days=1), time.min, zone)
    ratings = ChatRating.objects.filter(created_at__gte=since, created_at__lt=until)
    if categories:
        ratings = ratings.filter(chat__category_id__in=categories)
    if teams is not None:
        # A subquery, not a join: an agent in two of the teams counts once.
        members = User.objects.filter(teams__in=teams).values("pk")
        ratings = ratings.filter(chat__agent__in=members)
    grouped = (
        ratings.annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day", "outcome", "service")
        .annotate(n=Count("pk"))
        .order_by()
    )
    outcome: dict[Hashable, Distribution] = defaultdict(Distribution)
    service: dict[Hashable, Distribution] = defaultdict(Distribution)
    for row in grouped:
        key = period(row["day"])
        outcome[key].add(row["outcome"], row["n"], row["outcome"] * row["n"])
        service[key].add(row["service"], row["n"], row["service"] * row["n"])
    return outcome, service
