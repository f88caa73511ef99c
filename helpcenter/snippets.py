"""Snippets with the matched words marked, cut from an article's plain text.

One highlighter for both databases: PostgreSQL's ts_headline and FTS5's snippet() work on
their own parser's words, which are whole Chinese runs, so neither can mark a bigram match
(到账 inside 提现未到账). This one finds the query's terms in the text as the analyser made
them: bigrams as substrings, words from their start (fee finds fees).
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from helpcenter.analysis import Query

WINDOW = 200


def _pattern(query: Query) -> re.Pattern | None:
    alternatives = []
    for term in query.terms:
        for lexeme in (term.text, *term.parts):
            if term.cjk:
                alternatives.append(re.escape(lexeme))
            else:
                alternatives.append(r"(?<![^\W_])" + re.escape(lexeme) + r"[^\W_]*")
    if not alternatives:
        return None
    # Longest first, so a whole identifier wins over its parts.
    alternatives.sort(key=len, reverse=True)
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _marked(text: str, pattern: re.Pattern | None) -> str:
    if pattern is None:
        return escape(text)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def highlight(text: str, query: Query) -> SafeString:
    """The whole (short) text with the matches marked: for titles."""
    return mark_safe(_marked(text, _pattern(query)))


def snippet(text: str, query: Query, width: int = WINDOW) -> SafeString:
    """The window of `text` holding the most distinct matches, matches marked."""
    pattern = _pattern(query)
    matches = list(pattern.finditer(text)) if pattern else []
    if not matches:
        cut = text[:width]
        return mark_safe(escape(cut) + ("…" if len(text) > width else ""))
    best_start, best_score = matches[0].start(), 0
    for i, first in enumerate(matches):
        distinct = {m.group().casefold() for m in matches[i:] if m.end() - first.start() <= width}
        if len(distinct) > best_score:
            best_start, best_score = first.start(), len(distinct)
    # Start a little before the first match, at a space when there is one nearby.
    start = max(0, best_start - width // 4)
    space = text.rfind(" ", 0, start + 1)
    if start and space != -1 and start - space < 20:
        start = space + 1
    end = min(len(text), start + width)
    body = _marked(text[start:end], pattern)
    return mark_safe(("…" if start else "") + body + ("…" if end < len(text) else ""))
