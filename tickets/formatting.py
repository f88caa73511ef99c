"""How moments read to people: one format per language, always with the zone, everywhere.

The format itself is the language's DATETIME_FORMAT (config/formats/); the browser shows
the same shape in the reader's own zone where it can (static/js/redress.js), starting from
what is written here.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString


def when_text(moment: datetime) -> str:
    """'Dec 2, 2026, 21:16 UTC' in English, '2026年12月2日 21:16 UTC' in Chinese."""
    local = timezone.localtime(moment)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


def when_html(moment: datetime | None, element_id: str = "") -> SafeString | str:
    """A <time> the browser rewrites in the reader's zone; the server's text says UTC."""
    if moment is None:
        return ""
    return format_html(
        '<time datetime="{}" data-local{}>{}</time>',
        moment.isoformat(),
        format_html(' id="{}"', element_id) if element_id else "",
        when_text(moment),
    )
