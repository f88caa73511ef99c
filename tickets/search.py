"""Staff search: the index behind the queue's search box and the API's `q`.

Each ticket has a search document beside it (TicketSearch): its identifiers, the
customer's email, name and exchange UID, the subject (weight A), the description (B) and
the conversation (C), analysed by helpcenter.analysis, the analyser of the help center:
Chinese as character bigrams (a Chinese word inside a description is found), identifiers
whole and by their parts (RD-7K3M-Q9XP is found by 7K3M, lin.wei@example.com whole).
On PostgreSQL the document is a GIN-indexed tsvector, and the open cases' lexemes are
kept again as an inverted index (TicketTerm, filled by a trigger from the documents of
the cases whose `is_open` a trigger on the ticket's status keeps) whose primary key gives
ticket ids with index-only scans: the queue's searches read that. SQLite, the demo's database, matches the ticket's own text
with LIKE instead.

Every kind of search starts from an index, never from a walk of the open cases in
deadline order probing each one's words: a whole reference is a unique-index lookup, and
everything else reads the matching ids first (the open cases' terms, or the GIN index for
a search over every status), then sorts only those.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet
from django.db.models.expressions import RawSQL

from helpcenter.analysis import parse_query, tsvector
from tickets.models import OPEN_STATUSES

_DOCUMENTS = """
SELECT t.id, t.reference, t.txid, t.order_id, t.wallet_address, t.subject, t.description,
       t.status, u.email, u.full_name, coalesce(p.exchange_uid, ''),
       coalesce((SELECT string_agg(m.body, ' ' ORDER BY m.id)
                 FROM tickets_message m WHERE m.ticket_id = t.id), '')
FROM tickets_ticket t
JOIN accounts_user u ON u.id = t.customer_id
LEFT JOIN accounts_customerprofile p ON p.user_id = u.id
WHERE t.id = ANY(%s)
"""
_UPSERT = """
INSERT INTO tickets_ticketsearch (ticket_id, vector, is_open)
SELECT * FROM unnest(%s::bigint[], %s::tsvector[], %s::boolean[])
ON CONFLICT (ticket_id) DO UPDATE SET vector = EXCLUDED.vector, is_open = EXCLUDED.is_open
"""
# Ids first, from an index (OFFSET 0 keeps the planner from pulling the subquery up into a
# join it could drive from the queue's deadline order, probing each case's words).
_MATCHES = "SELECT ticket_id FROM tickets_ticketsearch WHERE vector @@ %s::tsquery OFFSET 0"


class _AmongIds(Func):
    """`id = ANY(ARRAY(matches))`: the matching ids become one array before the tickets are
    read, so the plan looks each one up by primary key. With `id IN (matches)` the planner,
    expecting few matches in the agent's scope, walked every open case of the tier (a bitmap
    scan of 18,000 cases and their heap pages at 1M tickets) and hashed the matches against
    them; an array's length is unknown to it, and a lookup per element is what it picks."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra):
        (column, column_params), (ids, ids_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        return f"{column} = ANY(ARRAY{ids})", [*column_params, *ids_params]


# A prefix is a range of TicketTerm's primary key (its "C" collation orders by code point).
_AFTER_EVERY_CHARACTER = "\U0010ffff"


def document(
    *,
    reference: str,
    txid: str,
    order_id: str,
    wallet_address: str,
    subject: str,
    description: str,
    email: str,
    name: str,
    exchange_uid: str,
    messages: str,
) -> str:
    """A ticket's search document as a tsvector literal (bench/seed.py writes the same)."""
    identifiers = " ".join((reference, txid, order_id, wallet_address, email, exchange_uid))
    return tsvector(
        [(identifiers, "A"), (name, "A"), (subject, "A"), (description, "B"), (messages, "C")]
    )


def reindex(ticket_id: int) -> None:
    """Rebuild one ticket's search document (inside the caller's transaction)."""
    reindex_many([ticket_id])


def reindex_many(ticket_ids: list[int]) -> None:
    """Rebuild the search documents of these tickets: one read and one write for all."""
    if connection.vendor != "postgresql" or not ticket_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(_DOCUMENTS, [list(ticket_ids)])
        ids, vectors, open_flags = [], [], []
        for (ticket_id, reference, txid, order_id, address, subject, description, status, email,
             name, uid, messages) in cursor.fetchall():  # fmt: skip
            ids.append(ticket_id)
            vectors.append(
                document(
                    reference=reference,
                    txid=txid,
                    order_id=order_id,
                    wallet_address=address,
                    subject=subject,
                    description=description,
                    email=email,
                    name=name,
                    exchange_uid=uid,
                    messages=messages,
                )
            )
            open_flags.append(status in OPEN_STATUSES)
        if ids:
            cursor.execute(_UPSERT, [ids, vectors, open_flags])


def _is_reference(text: str) -> bool:
    """A whole case reference (tickets.services.new_reference), typed in any case."""
    prefix = re.escape(settings.TICKET_REFERENCE_PREFIX)
    return re.fullmatch(rf"{prefix}-[0-9A-Z]{{4}}-[0-9A-Z]{{4}}", text, re.IGNORECASE) is not None


def search(
    tickets: QuerySet, text: str, *, open_only: bool = False, one_caseload: bool = False
) -> QuerySet:
    """The tickets of `tickets` that match `text`; `open_only` when they are all open cases
    (the queue), so the smaller index of open cases answers; `one_caseload` when they are one
    person's open cases, fewer than a common word's matches: then the plan walks those cases
    (their own index) and hashes the matches against them, instead of looking every match up."""
    text = text.strip()[:200]
    if not text:
        return tickets
    if connection.vendor != "postgresql":
        return tickets.filter(_like(text))
    if _is_reference(text):
        return tickets.filter(reference=text.upper())
    # One word may be part of a reference or an ID still being typed: it matches as a prefix.
    query = parse_query(text, prefix_last=len(text.split()) == 1)
    if not query:
        return tickets.none()
    if open_only:
        matches = RawSQL(*_open_matches(query))
        if one_caseload:
            return tickets.filter(pk__in=matches)
        return tickets.filter(_AmongIds(F("pk"), matches))
    return tickets.filter(pk__in=RawSQL(_MATCHES, [query.tsquery()]))


class _Lexeme:
    """One word (or prefix) of a query over the open cases' terms."""

    def __init__(self, text: str, prefix: bool):
        self.text, self.prefix = text, prefix

    def where(self, alias: str) -> tuple[str, list]:
        if self.prefix:
            return f"{alias}.lexeme >= %s AND {alias}.lexeme < %s", [
                self.text,
                self.text + _AFTER_EVERY_CHARACTER,
            ]
        return f"{alias}.lexeme = %s", [self.text]

    def probe(self, ticket: str) -> tuple[str, list]:
        """Does this ticket hold the word? One index-only lookup of the primary key."""
        where, params = self.where("p")
        return (
            f"EXISTS (SELECT 1 FROM tickets_ticketterm p WHERE {where} AND p.ticket_id = {ticket})",
            params,
        )


# How many open cases hold each word, counted no further than this: enough to tell a rare
# word (a TxID, a UID) from a common one, in a fraction of a millisecond.
_COUNT_UP_TO = 1000


def _frequencies(lexemes: list[_Lexeme]) -> dict[tuple[str, bool], int]:
    parts, params = [], []
    for index, lexeme in enumerate(lexemes):
        where, where_params = lexeme.where("t")
        parts.append(
            f"SELECT {index}, count(*) FROM (SELECT 1 FROM tickets_ticketterm t WHERE {where} "
            f"LIMIT {_COUNT_UP_TO}) AS found"
        )
        params += where_params
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        counts = dict(cursor.fetchall())
    return {(lex.text, lex.prefix): counts[i] for i, lex in enumerate(lexemes)}


def _open_matches(query) -> tuple[str, list]:
    """The open cases holding every term: driven by the rarest word, the rest probed.

    Each clause is a word, a prefix, or a compound (whole, or all of its parts). The ids
    come from the primary key of TicketTerm (index-only): the rarest clause's ids, each
    then checked for the other clauses with one primary-key lookup apiece, so a search
    mixing a common word with a rare one costs the rare one.
    """
    clauses = []
    for term, prefix in query.clauses():
        whole = _Lexeme(term.text, prefix)
        parts = [
            _Lexeme(part, prefix and index == len(term.parts) - 1)
            for index, part in enumerate(term.parts)
        ]
        clauses.append((whole, parts))
    counts = _frequencies([lex for whole, parts in clauses for lex in (whole, *parts)])

    def weight(lexeme):
        return counts[(lexeme.text, lexeme.prefix)]

    def size(clause) -> int:
        whole, parts = clause
        return weight(whole) + (min(weight(p) for p in parts) if parts else 0)

    clauses.sort(key=size)
    (whole, parts), rest = clauses[0], clauses[1:]
    where, params = whole.where("t")
    driver = f"SELECT t.ticket_id FROM tickets_ticketterm t WHERE {where}"
    if parts:
        parts = sorted(parts, key=weight)
        where, part_params = parts[0].where("t")
        checks = [lex.probe("t.ticket_id") for lex in parts[1:]]
        driver = (
            f"({driver}) UNION (SELECT t.ticket_id FROM tickets_ticketterm t WHERE {where}"
            + "".join(f" AND {sql}" for sql, _params in checks)
            + ")"
        )
        params += part_params + [value for _sql, check in checks for value in check]
    conditions = []
    for whole, parts in rest:
        sql, check = whole.probe("d.ticket_id")
        if parts:
            probes = [lex.probe("d.ticket_id") for lex in parts]
            sql = f"({sql} OR ({' AND '.join(p for p, _params in probes)}))"
            check = check + [value for _sql, probe in probes for value in probe]
        conditions.append(sql)
        params += check
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"SELECT d.ticket_id FROM ({driver}) AS d{where}", params


def _like(text: str) -> Q:
    """The demo's search on SQLite: substrings of the ticket's text and its customer."""
    found = Q(reference__iexact=text) | Q(txid__iexact=text) | Q(order_id=text)
    for field in (
        "reference",
        "subject",
        "description",
        "txid",
        "order_id",
        "wallet_address",
        "customer__email",
        "customer__full_name",
        "customer__customer_profile__exchange_uid",
    ):
        found |= Q(**{f"{field}__icontains": text})
    return found
