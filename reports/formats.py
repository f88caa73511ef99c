"""How report values read, on the page and in a chart: one function per kind of value."""

from __future__ import annotations

from django.utils.translation import gettext

from reports.results import DATE, DURATION, INT, PERCENT, SCORE, TEXT


def duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if seconds < 60:
        return gettext("%(seconds)d s") % {"seconds": round(seconds)}
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return gettext("%(minutes)d min") % {"minutes": minutes}


def value(raw, kind: str) -> str:
    if raw is None or raw == "":
        return "—"
    if kind == DURATION:
        return duration(raw)
    if kind == PERCENT:
        return f"{raw:.1f} %"
    if kind == SCORE:
        return f"{raw:.2f}"
    if kind == INT and isinstance(raw, int | float):
        return f"{raw:,.0f}"
    if kind in (TEXT, DATE):
        return str(raw)
    return str(raw)


def csv_value(raw, kind: str):
    """Numbers stay numbers in a CSV: durations in hours, percents from 0 to 100."""
    if raw is None:
        return ""
    if kind == DURATION:
        return round(raw / 3600, 2)
    if kind in (PERCENT, SCORE):
        return round(raw, 2)
    return raw
