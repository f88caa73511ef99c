"""Help-center search: the one entry point for pages, the API, suggestions and the chat bot.

    from helpcenter.search import search_articles, suggest_articles
    found = search_articles("USDT 提现未到账", language="zh")   # -> SearchResult
    for hit in found.hits: hit.article, hit.title, hit.snippet (safe HTML with <mark>)

`search_articles` asks for every term of the query and, when nothing has them all, for any
of them (`found.exact` says which). `suggest_articles` ranks for a subject being typed (any
term, the last one a prefix) and puts the chosen category's articles first. Both read only
published articles, rank title matches above body matches, and answer in one query:
PostgreSQL full text (`ts_rank` over weighted lexemes, GIN index) or SQLite FTS5 (`bm25()`).
Text is analysed by helpcenter.analysis, the same function that built the index.

Results are cached, whole (hits, titles and snippets), under the library's version: every
article saved or deleted gives the library a new one (`library_changed`), so a cached result
never outlives the articles it shows. A help center's searches are few distinct words asked
many times (withdrawal, deposit, 提现): those answer from one cache read, whatever the size
of the library; only a query new since the last change is ranked.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.utils.safestring import SafeString

from helpcenter import snippets
from helpcenter.analysis import Query, parse_query
from helpcenter.models import Article, ArticleDocument, content_language

# A match in the reader's language ranks a little above the same match in the other one.
OTHER_LANGUAGE = 0.8
# FTS5's bm25() column weights: the title counts ten times a word of the body.
FTS_TITLE_WEIGHT, FTS_BODY_WEIGHT = 10.0, 1.0
MAX_RESULTS = 50
LIBRARY_KEY = "help-library-version"
RESULTS_TTL = 600  # seconds: also bounds what a cache missing a version change could show
CACHE_RESULTS = True  # bench/helpcenter.py turns it off to time the ranking itself


def library_changed() -> None:
    """A new library version: every cached result is left behind (it expires unread)."""
    cache.set(LIBRARY_KEY, uuid.uuid4().hex, None)


def _cached(parts: tuple, compute: Callable):
    """`compute()`, or what it gave for the same `parts` since the library last changed.

    Without a cache (Redis down: the degrading cache answers None) it is computed each time.
    """
    if not CACHE_RESULTS:
        return compute()
    version = cache.get(LIBRARY_KEY)
    if version is None:
        cache.add(LIBRARY_KEY, uuid.uuid4().hex, None)
        version = cache.get(LIBRARY_KEY)
        if version is None:
            return compute()
    key = "help-results:" + hashlib.sha256(repr((version, *parts)).encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, RESULTS_TTL)
    return found


@dataclass(frozen=True)
class Hit:
    article: Article
    language: str  # the language of the text that matched (and of `snippet`)
    rank: float
    title: SafeString  # in the reader's language, matches marked
    snippet: SafeString


@dataclass(frozen=True)
class SearchResult:
    query: Query
    hits: list[Hit]
    exact: bool  # every term matched (False: the hits hold only some of them)


def _ranked(
    query: Query, language: str, limit: int, topic: str | None, cap: int | None = None
) -> list[tuple]:
    """(document id, article id, rank) of the best documents, best first."""
    if connection.vendor == "postgresql":
        return _ranked_postgresql(query, language, limit, topic, cap or CANDIDATES)
    # bm25() is lower for better matches (negative): weigh the reader's language down.
    sql = """
        SELECT d.id, d.article_id,
               bm25(helpcenter_articlefts, %s, %s)
               * CASE WHEN d.language = %s THEN 1.0 ELSE %s END AS rank
        FROM helpcenter_articlefts
        JOIN helpcenter_articledocument d ON d.id = helpcenter_articlefts.rowid
        WHERE helpcenter_articlefts MATCH %s AND d.is_published {topic}
        ORDER BY rank, d.article_id LIMIT %s
    """
    params = [FTS_TITLE_WEIGHT, FTS_BODY_WEIGHT, language, OTHER_LANGUAGE, query.fts5()]
    topic_sql = ""
    if topic:
        topic_sql = "AND d.article_id IN (SELECT id FROM helpcenter_article WHERE topic = %s)"
        params.append(topic)
    # Both languages of an article can match: ask for enough rows to fill `limit` articles.
    params.append(limit * 2)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(topic=topic_sql), params)
        return [(doc, article, -rank) for doc, article, rank in cursor.fetchall()]


# ts_rank reads each matching document's whole vector: over thousands of matches (a common
# word in a large library) that alone would take tens of milliseconds. So it ranks the
# candidates the GIN indexes give first: documents with every term, documents with a term
# in the title, then any other match, each set capped. With a library of hundreds of
# articles the caps never bite and the ranking is exact.
CANDIDATES = 200
# Suggestions show three articles: fewer candidates rank them as well.
SUGGESTION_CANDIDATES = 60
_RANKED = """
WITH candidates AS (
    {every}
    (SELECT id FROM helpcenter_articledocument
     WHERE is_published AND title_vector @@ CAST(%(query)s AS tsquery) {topic} LIMIT %(cap)s)
    UNION
    (SELECT id FROM helpcenter_articledocument
     WHERE is_published AND vector @@ CAST(%(query)s AS tsquery) {topic} LIMIT %(cap)s)
)
SELECT d.id, d.article_id,
       ts_rank(d.vector, CAST(%(query)s AS tsquery))
       * CASE WHEN d.language = %(language)s THEN 1.0 ELSE %(other)s END AS rank
FROM helpcenter_articledocument d JOIN candidates c ON c.id = d.id
ORDER BY rank DESC, d.article_id LIMIT %(limit)s
"""

_EVERY = """(SELECT id FROM helpcenter_articledocument
     WHERE is_published AND vector @@ CAST(%(all)s AS tsquery) {topic} LIMIT %(cap)s)
    UNION"""


def _ranked_postgresql(query: Query, language: str, limit: int, topic: str | None, cap: int):
    topic_sql = (
        "AND article_id IN (SELECT id FROM helpcenter_article WHERE topic = %(topic)s)"
        if topic
        else ""
    )
    every = Query(query.terms, match_all=True, prefix_last=query.prefix_last)
    params = {
        "all": every.tsquery(),
        "query": query.tsquery(),
        "cap": cap,
        "language": language,
        "other": OTHER_LANGUAGE,
        "topic": topic,
        "limit": limit * 2,
    }
    with connection.cursor() as cursor:
        # "Every term" is its own set only when the query asks for any of them.
        every_sql = "" if query.match_all else _EVERY.format(topic=topic_sql)
        cursor.execute(_RANKED.format(topic=topic_sql, every=every_sql), params)
        return cursor.fetchall()


def _best(rows: Iterable[tuple], limit: int) -> dict[int, tuple]:
    """article id -> (document id, rank) of its best document, best articles first."""
    best: dict[int, tuple] = {}
    for doc_id, article_id, rank in rows:
        if article_id not in best:
            best[article_id] = (doc_id, rank)
        if len(best) == limit:
            break
    return best


def _hits(query: Query, best: dict[int, tuple], language: str) -> list[Hit]:
    documents = ArticleDocument.objects.only("language", "text").in_bulk(
        [doc for doc, _rank in best.values()]
    )
    # The bodies are long and no hit shows them.
    articles = Article.objects.defer("body_en", "body_zh").in_bulk(best)
    hits = []
    for article_id, (doc_id, rank) in best.items():
        article, document = articles[article_id], documents[doc_id]
        hits.append(
            Hit(
                article=article,
                language=document.language,
                rank=rank,
                title=snippets.highlight(article.title_in(language), query),
                snippet=snippets.snippet(document.text, query),
            )
        )
    return hits


def search_articles(
    text: str, *, language: str | None = None, topic: str | None = None, limit: int = 10
) -> SearchResult:
    """Published articles matching `text`, best first, at most `limit` (up to 50)."""
    language = content_language(language)
    limit = max(1, min(limit, MAX_RESULTS))
    query = parse_query(text[:200])
    if not query:
        return SearchResult(query, [], exact=True)
    return _cached(
        ("search", query, language, topic, limit),
        lambda: _search(query, language, topic, limit),
    )


def _search(query: Query, language: str, topic: str | None, limit: int) -> SearchResult:
    rows = _ranked(query, language, limit, topic)
    exact = bool(rows)
    if not rows and len(query.terms) > 1:
        rows = _ranked(query.any(), language, limit, topic)
    return SearchResult(query, _hits(query, _best(rows, limit), language), exact=exact)


def suggest_articles(
    text: str,
    *,
    language: str | None = None,
    category: int | str | None = None,
    limit: int = 3,
) -> list[Hit]:
    """The best articles for a ticket subject being typed; the category's articles first.

    `category` is a ticket category's id or code. With no usable text, the category's own
    articles (popular first) are the suggestions.
    """
    language = content_language(language)
    query = parse_query(text[:200], match_all=False, prefix_last=True)
    return _cached(
        ("suggest", query, language, str(category or ""), limit),
        lambda: _suggest(query, language, category, limit),
    )


def _suggest(query: Query, language: str, category, limit: int) -> list[Hit]:
    best = _best(_ranked(query, language, 20, None, cap=SUGGESTION_CANDIDATES), 20) if query else {}
    in_category = _in_category(category, best)
    # The category's articles first, rank order kept within each group (a stable sort).
    chosen = sorted(best, key=lambda article_id: article_id not in in_category)[:limit]
    hits = _hits(query, {article_id: best[article_id] for article_id in chosen}, language)
    if len(hits) < limit and category not in (None, ""):
        hits += _category_fill(query, category, language, [h.article.pk for h in hits], limit)
    return hits


def _category_filter(category: int | str) -> dict:
    if str(category).isdigit():
        return {"category_id": int(category)}
    return {"category__code": str(category)}


def _in_category(category: int | str | None, article_ids) -> set[int]:
    """Which of these articles answer the category (a category id or code)."""
    if category in (None, "") or not article_ids:
        return set()
    through = Article.categories.through
    return set(
        through.objects.filter(
            article_id__in=list(article_ids), **_category_filter(category)
        ).values_list("article_id", flat=True)
    )


def _category_fill(query, category, language: str, have: list[int], limit: int) -> list[Hit]:
    """The category's own articles (popular first) when the text found too few."""
    through = Article.categories.through
    ids = through.objects.filter(**_category_filter(category)).values("article_id")
    extra = list(
        Article.objects.filter(pk__in=ids, is_published=True)
        .exclude(pk__in=have)
        .defer("body_en", "body_zh")
        .order_by("-is_popular", "title_en")[: limit - len(have)]
    )
    texts = dict(
        ArticleDocument.objects.filter(article__in=extra, language=language).values_list(
            "article_id", "text"
        )
    )
    return [
        Hit(
            article=article,
            language=language,
            rank=0.0,
            title=snippets.highlight(article.title_in(language), query),
            snippet=snippets.snippet(texts.get(article.pk, ""), query, width=160),
        )
        for article in extra
    ]
