"""Every write of the help center: articles and their index, counters, gaps, reads.

Counting is set-based and counted once per view: each (visitor, day, event) is inserted
into Counted with ON CONFLICT DO NOTHING, and only the rows that went in add one to the
article's day (an upsert). A reload, a repeat of the same suggestion or a second vote on
the same day adds nothing. Both statements run on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from evidence.secret_guard import find_secret
from helpcenter import analysis, search
from helpcenter.models import (
    Article,
    ArticleDay,
    ArticleDocument,
    Counted,
    Event,
    SearchGap,
    TicketArticleRead,
)
from helpcenter.rendering import plain_text
from helpcenter.selectors import TOPIC_COUNTS_KEY

LANGUAGES = ("en", "zh")


@transaction.atomic
def article_index(*, article: Article) -> None:
    """Rebuild the article's search documents, one per language it is written in."""
    kept = []
    for language in LANGUAGES:
        body = article.body_en if language == "en" else article.body_zh
        if not body.strip():
            continue
        title = article.title_in(language)
        text = plain_text(body)
        document, _created = ArticleDocument.objects.update_or_create(
            article=article,
            language=language,
            defaults={"title": title, "text": text, "is_published": article.is_published},
        )
        kept.append(document.pk)
        _write_index(document, title, text)
    transaction.on_commit(lambda: cache.delete(TOPIC_COUNTS_KEY))
    # Now, and again at commit: a search between the two would cache the old articles.
    search.library_changed()
    transaction.on_commit(search.library_changed)
    stale = ArticleDocument.objects.filter(article=article).exclude(pk__in=kept)
    if connection.vendor == "sqlite":
        for pk in stale.values_list("pk", flat=True):
            _fts_delete(pk)
    stale.delete()


def _write_index(document: ArticleDocument, title: str, text: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE helpcenter_articledocument "
                "SET vector = %s::tsvector, title_vector = %s::tsvector WHERE id = %s",
                [
                    analysis.tsvector([(title, "A"), (text, "B")]),
                    analysis.tsvector([(title, "A")]),
                    document.pk,
                ],
            )
        else:
            _fts_delete(document.pk)
            cursor.execute(
                "INSERT INTO helpcenter_articlefts (rowid, title, body) VALUES (%s, %s, %s)",
                [document.pk, analysis.indexed_text(title), analysis.indexed_text(text)],
            )


def _fts_delete(document_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM helpcenter_articlefts WHERE rowid = %s", [document_id])


@transaction.atomic
def article_save(*, article: Article, categories: Iterable | None = None) -> Article:
    """Save an article (the admin, the seed) and rebuild its search documents with it."""
    article.full_clean(exclude=["categories"])
    article.save()
    if categories is not None:
        article.categories.set(categories)
    article_index(article=article)
    return article


def _today() -> date:
    return timezone.localdate()


def _count_once(day: date, visitor: str, keys: Sequence[str]) -> list[str]:
    """Insert (day, visitor, key) rows; returns the keys that were not counted before."""
    if not keys:
        return []
    rows = ", ".join(["(%s, %s, %s)"] * len(keys))
    params = [value for key in keys for value in (day, visitor, key)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Counted._meta.db_table} (day, visitor, key) VALUES {rows} "
            "ON CONFLICT (day, visitor, key) DO NOTHING RETURNING key",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def _add(day: date, event: str, article_ids: Sequence[int]) -> None:
    if not article_ids:
        return
    column = Event(event).value  # a known column name, never text from outside
    table = ArticleDay._meta.db_table
    rows = ", ".join(["(%s, %s, 1)"] * len(article_ids))
    params = [value for pk in article_ids for value in (pk, day)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (article_id, day, {column}) VALUES {rows} "
            f"ON CONFLICT (article_id, day) DO UPDATE SET {column} = {table}.{column} + 1",
            params,
        )


@transaction.atomic
def article_events_record(
    *, event: str, article_ids: Iterable[int], visitor: str, day: date | None = None
) -> list[int]:
    """Count an event for articles, once per visitor and day; returns the ids counted now."""
    day = day or _today()
    ids = sorted({int(pk) for pk in article_ids})
    # Votes share one key per article: a visitor's second answer (either way) adds nothing.
    kind = "feedback" if event in (Event.HELPFUL, Event.NOT_HELPFUL) else event
    fresh = _count_once(day, visitor, [f"{kind}:{pk}" for pk in ids])
    counted = [int(key.rsplit(":", 1)[1]) for key in fresh]
    _add(day, event, counted)
    return counted


def article_feedback(*, article: Article, helpful: bool, visitor: str) -> bool:
    """Did this help? Yes or no, once per visitor and article per day: True if it counted."""
    event = Event.HELPFUL if helpful else Event.NOT_HELPFUL
    return bool(article_events_record(event=event, article_ids=[article.pk], visitor=visitor))


def normalized_query(text: str) -> str:
    return " ".join(text.split()).casefold()[:200]


def search_gap_record(*, query: str, visitor: str, day: date | None = None) -> bool:
    """A search that found nothing, kept for admins unless it holds a secret.

    Returns False when nothing was kept: no text, a secret (a seed phrase, a key, a code:
    never stored, never echoed), or the same visitor's same search today already.
    """
    text = normalized_query(query)
    if not text or find_secret(query) is not None:
        return False
    day = day or _today()
    key = "gap:" + hashlib.sha256(text.encode()).hexdigest()[:40]
    with transaction.atomic():
        if not _count_once(day, visitor, [key]):
            return False
        with connection.cursor() as cursor:
            table = SearchGap._meta.db_table
            cursor.execute(
                f"INSERT INTO {table} (day, query, searches) VALUES (%s, %s, 1) "
                f"ON CONFLICT (day, query) DO UPDATE SET searches = {table}.searches + 1",
                [day, text],
            )
    return True


@transaction.atomic
def ticket_filed_after_reading(
    *,
    ticket_id: int,
    reads: Sequence[tuple[int, bool, datetime]],
    suggested_slugs: Iterable[str],
    visitor: str,
) -> None:
    """What the customer read before filing this case, and the suggestions they filed past.

    `reads` are (article id, opened from a suggestion, when) from the customer's session;
    each suggested article that was on screen when they filed counts one "filed anyway".
    """
    known = set(Article.objects.filter(pk__in=[r[0] for r in reads]).values_list("pk", flat=True))
    TicketArticleRead.objects.bulk_create(
        [
            TicketArticleRead(
                ticket_id=ticket_id, article_id=pk, from_suggestion=suggested, read_at=when
            )
            for pk, suggested, when in reads
            if pk in known
        ],
        ignore_conflicts=True,
    )
    shown = Article.objects.filter(slug__in=list(suggested_slugs)[:10]).values_list("pk", flat=True)
    article_events_record(event=Event.FILED_ANYWAY, article_ids=shown, visitor=visitor)


def counted_prune(*, before: date) -> int:
    """Forget which visitor counted what before `before` (the counters stay)."""
    deleted, _per_model = Counted.objects.filter(day__lt=before).delete()
    return deleted
