"""Staff full-text search: the index behind the queue's search box.

PostgreSQL keeps a weighted tsvector per ticket in its own table, TicketSearch
(identifiers and subject first, then the description, then the conversation). The
'simple' configuration keeps TxIDs, order IDs and words of any language as they are, with
no English stemming to mangle them. SQLite, the demo's database, falls back to LIKE on
the ticket's own text.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Q, QuerySet

from tickets.models import TicketSearch

_REINDEX = """
INSERT INTO tickets_ticketsearch (ticket_id, vector)
SELECT t.id,
    setweight(to_tsvector('simple', t.reference || ' ' || t.txid || ' ' || t.order_id
                                    || ' ' || t.wallet_address || ' ' || t.subject), 'A')
    || setweight(to_tsvector('simple', t.description), 'B')
    || setweight(to_tsvector('simple', coalesce(
        (SELECT string_agg(m.body, ' ') FROM tickets_message m WHERE m.ticket_id = t.id), '')), 'C')
FROM tickets_ticket t WHERE t.id = %s
ON CONFLICT (ticket_id) DO UPDATE SET vector = EXCLUDED.vector
"""


def reindex(ticket_id: int) -> None:
    """Rebuild one ticket's search vector (inside the caller's transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_REINDEX, [ticket_id])


def _is_reference(text: str) -> bool:
    """A whole case reference (tickets.services.new_reference), typed in any case."""
    prefix = re.escape(settings.TICKET_REFERENCE_PREFIX)
    return re.fullmatch(rf"{prefix}-[0-9A-Z]{{4}}-[0-9A-Z]{{4}}", text, re.IGNORECASE) is not None


def search(tickets: QuerySet, text: str) -> QuerySet:
    text = text.strip()
    if not text:
        return tickets
    if connection.vendor == "postgresql":
        if _is_reference(text):
            return tickets.filter(reference=text.upper())
        # TxIDs and order IDs are words of the vector ('simple' keeps them whole,
        # lowercased). A semi-join, never ORed with anything: PostgreSQL then either walks
        # the open cases in deadline order probing each one's words (a common word fills
        # a page at once) or fetches the few matches from the GIN index (a TxID).
        query = SearchQuery(text, config="simple", search_type="websearch")
        return tickets.filter(pk__in=TicketSearch.objects.filter(vector=query).values("ticket_id"))
    return tickets.filter(
        Q(reference__iexact=text)
        | Q(txid__iexact=text)
        | Q(order_id=text)
        | Q(subject__icontains=text)
        | Q(description__icontains=text)
        | Q(txid__icontains=text)
        | Q(order_id__icontains=text)
    )
