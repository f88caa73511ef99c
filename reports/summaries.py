"""Weekly and monthly summaries: made once a period has ended and its events are folded,
kept (in both languages) so their readers can open them again, and mailed.

Admins get one of everything; each team with leads gets one of its own.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from accounts.models import Team
from outbox import relay as outbox
from reports import catalogue
from reports.models import FoldState, Summary
from reports.query import ReportFilters
from reports.rollup import FOLD
from reports.selectors import Scope

REPORTS = ("volume", "response-times", "sla", "satisfaction", "complaints-handling")


def last_complete(period: str, today: date) -> tuple[date, date]:
    """The last whole week (Monday to Sunday) or month before today."""
    if period == Summary.Period.WEEK:
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(days=7), monday - timedelta(days=1)
    first = today.replace(day=1)
    last = first - timedelta(days=1)
    return last.replace(day=1), last


def _folded_past(day: date) -> bool:
    """Have the folds read every event up to the end of this day?"""
    watermark = FoldState.objects.filter(name=FOLD).values_list("watermark", flat=True).first()
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()))
    return watermark is not None and watermark >= end


def _data(start: date, end: date, scope: Scope) -> dict:
    filters = ReportFilters(start=start, end=end)
    data = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            data[language] = [catalogue.build(name, filters, scope).as_dict() for name in REPORTS]
    return data


def ensure(*, today: date | None = None) -> list[Summary]:
    """Make the summaries still missing for the last complete week and month."""
    today = today or timezone.localdate()
    made = []
    scopes = [None, *Team.objects.filter(leads__isnull=False).distinct().order_by("pk")]
    for period in Summary.Period.values:
        start, end = last_complete(period, today)
        if not _folded_past(end):
            continue
        for team in scopes:
            if Summary.objects.filter(period=period, start=start, team=team).exists():
                continue
            scope = Scope(None) if team is None else Scope(frozenset({team.pk}))
            try:
                with transaction.atomic():
                    kept = Summary.objects.create(
                        period=period,
                        start=start,
                        end=end,
                        team=team,
                        data=_data(start, end, scope),
                    )

                    outbox.enqueue("reports.tasks.send_summary", kept.pk)
            except IntegrityError:
                continue  # another worker made it meanwhile
            made.append(kept)
    return made
