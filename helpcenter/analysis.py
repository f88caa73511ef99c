"""The one text analyser of every search: help-center articles and the staff ticket search.

Chinese is written without spaces, so PostgreSQL's `simple` parser and SQLite FTS5's
default tokenizer both take a whole run of Chinese characters for one word, and 到账 never
matches 提现未到账. Here a Chinese run becomes its overlapping character bigrams (提现 现未
未到 到账), a lone character stays itself, and other text becomes lowercased words, with
identifiers (a TxID, an address, an email, a case reference) kept whole beside their parts.
The same `analyse()` runs when a document is indexed and when a query is parsed, so the
two can never disagree; the backends only render its terms (`tsvector`, `tsquery`, FTS5).

A single character never floods results: the index holds bigrams, so 账 alone matches only
where 账 stood alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# CJK Unified Ideographs, Extension A and the compatibility block.
_CJK_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# A word of letters and digits, with identifier punctuation inside it (no leading or
# trailing punctuation): lin.wei@example.com, RD-7K3M-Q9XP, BTC/USDT, 0x9f2c…
_WORD = re.compile(r"[^\W_]+(?:[@.\-+_/:][^\W_]+)*")
_PARTS = re.compile(r"[^\W_]+")
# Words so common in English prose that they match every document and rank nothing.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "for",
        "from",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "more",
        "my",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "our",
        "out",
        "over",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)
MAX_POSITION = 16383  # PostgreSQL's highest tsvector position


@dataclass(frozen=True)
class Term:
    """One search term. A compound (an email, a reference) also matches by its parts."""

    text: str
    parts: tuple[str, ...] = ()
    cjk: bool = False

    @property
    def is_identifier(self) -> bool:
        return bool(self.parts) or any(ch.isdigit() for ch in self.text)


def _stem(word: str) -> str:
    """A light plural folding (fees -> fee, addresses -> address), the same on both sides."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def analyse(text: str) -> list[Term]:
    """The terms of `text`, in order: for indexing a document and for parsing a query."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    terms: list[Term] = []
    position = 0
    for match in _CJK_RUN.finditer(text):
        terms += _words(text[position : match.start()])
        run = match.group()
        if len(run) == 1:
            terms.append(Term(run, cjk=True))
        else:
            terms += [Term(run[i : i + 2], cjk=True) for i in range(len(run) - 1)]
        position = match.end()
    terms += _words(text[position:])
    return terms


def _words(text: str) -> list[Term]:
    terms = []
    for match in _WORD.finditer(text):
        word = match.group()
        parts = tuple(_PARTS.findall(word))
        if len(parts) > 1:
            terms.append(Term(word, parts=parts))
        elif word not in STOPWORDS:
            terms.append(Term(_stem(word)))
    return terms


def lexemes(terms: Iterable[Term]) -> list[str]:
    """What an index stores for the terms: each one, and a compound's parts beside it."""
    out = []
    for term in terms:
        out.append(term.text)
        out += term.parts
    return out


def indexed_text(text: str) -> str:
    """The lexemes as one space-separated string (SQLite FTS5 stores and tokenizes this)."""
    return " ".join(lexemes(analyse(text)))


def _quote_lexeme(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector(fields: Sequence[tuple[str, str]]) -> str:
    """A PostgreSQL tsvector literal of weighted fields, e.g. [(title, "A"), (body, "B")].

    Built here rather than by `to_tsvector`, whose parser would split the bigrams' neighbours
    and the identifiers again in its own way: the database stores exactly these lexemes.
    """
    positions: dict[str, list[str]] = {}
    position = 0
    for text, weight in fields:
        for term in analyse(text):
            position = min(position + 1, MAX_POSITION)
            for lexeme in (term.text, *term.parts):
                entries = positions.setdefault(lexeme, [])
                # A tsvector keeps at most 256 positions per lexeme.
                if len(entries) < 256:
                    entries.append(f"{position}{weight}")
    return " ".join(f"{_quote_lexeme(lex)}:{','.join(pos)}" for lex, pos in positions.items())


@dataclass(frozen=True)
class Query:
    """A parsed query: its terms, how they combine, and whether the last one is a prefix.

    `match_all` asks for every term (a search); otherwise any term ranks (suggestions while
    the customer types, where most words of a subject are in no article).
    """

    terms: tuple[Term, ...]
    match_all: bool = True
    prefix_last: bool = False

    def __bool__(self) -> bool:
        return bool(self.terms)

    def any(self) -> Query:
        return Query(self.terms, match_all=False, prefix_last=self.prefix_last)

    def _items(self):
        seen = set()
        for index, term in enumerate(self.terms):
            if term in seen:
                continue
            seen.add(term)
            prefix = self.prefix_last and index == len(self.terms) - 1 and not term.cjk
            yield term, prefix and len(term.text) >= 3

    def tsquery(self) -> str:
        """A PostgreSQL tsquery literal (cast with ::tsquery, never parsed again)."""
        clauses = []
        for term, prefix in self._items():
            whole = _quote_lexeme(term.text) + (":*" if prefix else "")
            if term.parts:
                # A compound being typed ends in a part being typed: RD-7K3M-Q9 finds Q9XP.
                parts = [_quote_lexeme(p) for p in term.parts]
                if prefix:
                    parts[-1] += ":*"
                clauses.append(f"({whole} | ({' & '.join(parts)}))")
            else:
                clauses.append(whole)
        return (" & " if self.match_all else " | ").join(clauses)

    def fts5(self) -> str:
        """An SQLite FTS5 MATCH expression."""

        def string(lexeme: str) -> str:
            return '"' + lexeme.replace('"', '""') + '"'

        clauses = []
        for term, prefix in self._items():
            whole = string(term.text) + (" *" if prefix else "")
            if term.parts:
                parts = [string(p) for p in term.parts]
                if prefix:
                    parts[-1] += " *"
                clauses.append(f"({whole} OR ({' AND '.join(parts)}))")
            else:
                clauses.append(whole)
        return (" AND " if self.match_all else " OR ").join(clauses)

    def clauses(self):
        """(term, as a prefix) in order, each term once: for a backend of its own."""
        return list(self._items())


def parse_query(text: str, *, match_all: bool = True, prefix_last: bool = False) -> Query:
    return Query(tuple(analyse(text)), match_all=match_all, prefix_last=prefix_last)
