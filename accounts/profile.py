"""The profile page's parts that apps above accounts add (their own settings of a person).

Like the case page's parts (tickets.case_page): an app registers at start-up a function
of the request that returns the context of its template (with the template's name under
"template"), or None when it has nothing for this person. The part's form posts to the
app's own view, which comes back to the profile.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

Part = Callable[[HttpRequest], dict | None]
_parts: list[Part] = []


def add_part(part: Part) -> Part:
    _parts.append(part)
    return part


def parts_for(request: HttpRequest) -> list[dict]:
    return [context for part in _parts if (context := part(request)) is not None]
