"""Durations as admins write and read them: "8 h", "2 d", "1 d 4 h 30 min".

Django's own duration field shows a day as "1 00:00:00"; a policy's targets are written
here in days, hours and minutes instead, in either language's units.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Every unit word accepted, in either language, with the minutes it stands for.
_UNITS = {
    **dict.fromkeys(("d", "day", "days", "天", "日"), 24 * 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "小时", "时"), 60),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "分钟", "分"), 1),
}
_PART = re.compile(r"(\d+)\s*([a-z]+|[\u4e00-\u9fff]+)", re.IGNORECASE)

FORMAT_HELP = _("Days, hours and minutes, for example 8 h, 2 d or 1 d 4 h 30 min.")


def parse_span(text: str) -> timedelta:
    """ "1 d 4 h 30 min" -> 1 day 4:30; refused when any part is not a number and a unit."""
    text = text.strip()
    parts = _PART.findall(text)
    rest = _PART.sub("", text).strip(" ,")
    if not parts or rest:
        raise ValidationError(FORMAT_HELP, code="invalid")
    minutes = 0
    for number, unit in parts:
        factor = _UNITS.get(unit.lower())
        if factor is None:
            raise ValidationError(FORMAT_HELP, code="invalid")
        minutes += int(number) * factor
    return timedelta(minutes=minutes)


def format_span(value: timedelta | None) -> str:
    """A duration in the request's language: "1 d 4 h" in English, "1 天 4 小时" in Chinese."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        gettext("%(count)d d") % {"count": days} if days else "",
        gettext("%(count)d h") % {"count": hours} if hours else "",
        gettext("%(count)d min") % {"count": minutes} if minutes else "",
    ]
    return " ".join(part for part in parts if part) or gettext("%(count)d min") % {"count": 0}


class SpanField(forms.Field):
    """A policy target typed as "8 h" or "2 d", shown the same way."""

    widget = forms.TextInput

    def __init__(self, *args, **kwargs):
        kwargs["help_text"] = kwargs.get("help_text") or FORMAT_HELP
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        return format_span(value) if isinstance(value, timedelta) else value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, timedelta):
            return value
        return parse_span(str(value))
