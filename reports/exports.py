"""CSV exports of a report's tables, safe to open in a spreadsheet.

A cell a spreadsheet would read as a formula (text starting with =, +, -, @, a tab or a
carriage return) is written with a leading apostrophe, so a subject such as
"=HYPERLINK(...)" typed by a customer stays text (OWASP: CSV injection). The file starts
with a byte-order mark so that spreadsheet programs read its Chinese as UTF-8.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

from reports import formats
from reports.results import DURATION, PERCENT, Column

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell):
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


class _Echo:
    def write(self, value: str) -> str:
        return value


def _header(column: Column) -> str:
    # The unit of a number that a spreadsheet reads bare (formats.csv_value).
    unit = {DURATION: " (h)", PERCENT: " (%)"}.get(column.kind, "")
    return neutralise(f"{column.label}{unit}")


def lines(columns: list[Column], rows: Iterable[dict]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([_header(column) for column in columns])
    for row in rows:
        yield writer.writerow(
            [neutralise(formats.csv_value(row.get(c.key), c.kind)) for c in columns]
        )


def response(filename: str, columns: list[Column], rows: Iterable[dict]) -> StreamingHttpResponse:
    reply = StreamingHttpResponse(lines(columns, rows), content_type="text/csv; charset=utf-8")
    reply["Content-Disposition"] = f'attachment; filename="{filename}"'
    reply["X-Content-Type-Options"] = "nosniff"
    reply["Cache-Control"] = "private, no-store"
    return reply
