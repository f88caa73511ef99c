"""The queries a benchmark captured (CaptureQueriesContext), grouped by statement and table."""

from __future__ import annotations

import re
from collections import Counter

_TABLE = re.compile(r'(INSERT INTO|UPDATE|DELETE FROM|FROM) "?(\w+)"?')


def print_by_statement(captured: list[dict], per: int) -> None:
    """One line a statement kind ("SELECT chat_chat"): how many and how many ms per `per`."""
    shapes, times = Counter(), Counter()
    for query in captured:
        text = query["sql"]
        match = _TABLE.search(text)
        shape = f"{text.split(None, 1)[0]} {match.group(2) if match else ''}"
        shapes[shape] += 1
        times[shape] += float(query["time"])
    for shape, spent in times.most_common():
        print(f"  {shapes[shape] / per:5.2f} {1000 * spent / per:6.2f} ms  {shape}")
