"""The help center's deflection counts, as the deflection report reads them.

The help center counts, per article and day (helpcenter.ArticleDay), the suggestions it
showed while a customer typed a subject, the articles opened from them, "this solved my
problem" and "file anyway". The report reads them through one function named by
REDRESS_DEFLECTION_SOURCE (by default `help_center_counts` below; a test or another
deployment may name its own):

    counts(start: date, end: date, categories: list[str]) -> dict[date, Counts]

(both days included; `categories` are category codes, empty for all). With no source the
report says that nothing is recorded yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date

from django.conf import settings
from django.db.models import Sum
from django.utils.module_loading import import_string

from helpcenter.models import Article, ArticleDay


@dataclass(frozen=True)
class Counts:
    shown: int = 0
    opened: int = 0
    solved: int = 0
    filed_anyway: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.shown + other.shown,
            self.opened + other.opened,
            self.solved + other.solved,
            self.filed_anyway + other.filed_anyway,
        )

    @property
    def rate(self) -> float | None:
        """Of the customers who chose, the share an article answered."""
        decided = self.solved + self.filed_anyway
        return round(100 * self.solved / decided, 1) if decided else None

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


Source = Callable[[date, date, list[str]], dict[date, Counts]]


def source() -> Source | None:
    path = settings.REDRESS_DEFLECTION_SOURCE
    return import_string(path) if path else None


def help_center_counts(start: date, end: date, categories: list[str]) -> dict[date, Counts]:
    """The help center's day counters summed per day, for the articles of `categories`.

    An article that answers several of them counts once: the articles are a subquery,
    not a join that would repeat its rows.
    """
    days = ArticleDay.objects.filter(day__range=(start, end))
    if categories:
        days = days.filter(
            article__in=Article.objects.filter(categories__code__in=categories).values("pk")
        )
    totals = days.values("day").annotate(
        shown_sum=Sum("shown"),
        opened_sum=Sum("opened"),
        solved_sum=Sum("solved"),
        filed_anyway_sum=Sum("filed_anyway"),
    )
    return {
        row["day"]: Counts(
            row["shown_sum"], row["opened_sum"], row["solved_sum"], row["filed_anyway_sum"]
        )
        for row in totals
    }
