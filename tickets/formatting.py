"""How amounts and moments read to people: one rule each, on every page, in JSON and files.

An amount is written in its asset's decimal places without trailing zeros, never in
exponent form, as an exact string ("1520.35", not 1520.350000000000000000 or 1.52E+3).
A moment is the language's DATETIME_FORMAT (config/formats/) with its zone; the browser
shows the same shape in the reader's own zone where it can (static/js/redress.js),
starting from what is written here.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, localcontext

from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString


def amount_text(value, asset=None) -> str:
    """'1520.35' for Decimal('1520.350000000000000000') in USDT (6 places); '' for no amount.

    `asset` is anything with `decimals` (an Asset); without one the amount is only trimmed.
    """
    if value is None or value == "":
        return ""
    with localcontext() as context:
        context.prec = 60  # 20 digits before the point and 18 after fit without rounding
        amount = Decimal(value)
        if asset is not None:
            amount = amount.quantize(Decimal(1).scaleb(-asset.decimals))
        return format(amount.normalize(), "f")


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
