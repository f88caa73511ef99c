"""Staff search: the index behind the queue's search box and the API's `q`.

Each ticket has a search document beside it (TicketSearch): its identifiers, the
customer's email, name and exchange UID, the subject (weight A), the description (B) and
the conversation (C), analysed by helpcenter.analysis, the analyser of the help center:
Chinese as character bigrams (a Chinese word inside a description is found), identifiers
whole and by their parts (RD-7K3M-Q9XP is found by 7K3M, lin.wei@example.com whole).
On PostgreSQL the document is a tsvector in two GIN indexes: one over every ticket, one
over open tickets only (`is_open`, kept by a trigger when a status change crosses the
line). SQLite, the demo's database, matches the ticket's own text with LIKE instead.

Every kind of search starts from an index, never from a walk of the open cases in
deadline order probing each one's words: a whole reference is a unique-index lookup, and
everything else reads the matching ids from a GIN index first (a fenced subquery the
planner cannot turn into a probe per case), then sorts only those.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
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
# Ids first, from the GIN index (OFFSET 0 keeps the planner from pulling the subquery up
# into a join it could drive from the queue's deadline order).
_MATCHES = "SELECT ticket_id FROM tickets_ticketsearch WHERE vector @@ %s::tsquery {open} OFFSET 0"


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


def search(tickets: QuerySet, text: str, *, open_only: bool = False) -> QuerySet:
    """The tickets of `tickets` that match `text`; `open_only` when they are all open cases
    (the queue), so the smaller index of open cases answers."""
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
    matches = _MATCHES.format(open="AND is_open" if open_only else "")
    return tickets.filter(pk__in=RawSQL(matches, [query.tsquery()]))


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
