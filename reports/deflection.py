"""The seam to the help center's deflection counts (the help center is built elsewhere).

The help center counts, per day, the suggestions it showed while a customer typed a
subject, the articles opened from them, "this solved my problem" and "file anyway". The
deflection report reads them through one function named by REDRESS_DEFLECTION_SOURCE:

    counts(start: date, end: date, categories: list[str]) -> dict[date, Counts]

(both days included; `categories` are category codes, empty for all). Until that is set
the report says that nothing is recorded yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date

from django.conf import settings
from django.utils.module_loading import import_string


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
