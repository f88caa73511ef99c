"""Reads the help-center pages, the API and the desk share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from helpcenter.models import Article, ArticleDay, SearchGap, TicketArticleRead, Topic


def published() -> QuerySet[Article]:
    return Article.objects.filter(is_published=True)


# The home page's counts change only when an article is saved (services.article_index
# forgets them then); every reader in between shares one count.
TOPIC_COUNTS_KEY = "help-topic-counts"
TOPIC_COUNTS_TTL = 300


def topics_with_counts() -> list[tuple[Topic, int]]:
    counts = cache.get(TOPIC_COUNTS_KEY)
    if counts is None:
        counts = dict(
            published().values_list("topic").annotate(n=Count("topic")).values_list("topic", "n")
        )
        cache.set(TOPIC_COUNTS_KEY, counts, TOPIC_COUNTS_TTL)
    return [(topic, counts.get(topic.value, 0)) for topic in Topic]


def popular_articles(limit: int = 8) -> QuerySet[Article]:
    return published().filter(is_popular=True).order_by("topic", "title_en")[:limit]


def topic_articles(topic: str) -> QuerySet[Article]:
    return published().filter(topic=topic).order_by("-is_popular", "title_en")


def article_get(slug: str) -> Article | None:
    return published().filter(slug=slug).prefetch_related("categories").first()


def related_articles(article: Article, limit: int = 4) -> list[Article]:
    """Articles answering the most of the same categories, then others of the same topic."""
    through = Article.categories.through
    category_ids = [c.pk for c in article.categories.all()]
    sharing = list(
        through.objects.filter(category_id__in=category_ids)
        .exclude(article_id=article.pk)
        .values("article_id")
        .annotate(shared=Count("pk"))
        .order_by("-shared", "article_id")
        .values_list("article_id", flat=True)[: limit * 3]
    )
    found = published().in_bulk(sharing)
    related = [found[pk] for pk in sharing if pk in found][:limit]
    if len(related) < limit:
        related += list(
            published()
            .filter(topic=article.topic)
            .exclude(pk__in=[article.pk, *(a.pk for a in related)])
            .order_by("-is_popular", "title_en")[: limit - len(related)]
        )
    return related


def article_path(article: Article, language: str | None = None) -> str:
    path = reverse("help:article", args=[article.slug])
    return f"{path}?lang={language}" if language else path


def articles_for_category(category_id: int | None, limit: int = 30) -> list[Article]:
    """Articles an agent may link in a reply: the case's category first, then the rest."""
    articles = published().annotate(
        answers=Count("categories", filter=Q(categories__pk=category_id))
    )
    return list(articles.order_by("-answers", "topic", "title_en")[:limit])


def articles_read_before_filing(ticket_id: int) -> list[TicketArticleRead]:
    return list(
        TicketArticleRead.objects.filter(ticket_id=ticket_id).select_related("article")[:20]
    )


@dataclass(frozen=True)
class ArticleFigures:
    article: Article
    viewed: int
    helpful: int
    not_helpful: int

    @property
    def helpful_share(self) -> float | None:
        votes = self.helpful + self.not_helpful
        return self.helpful / votes if votes else None


@dataclass(frozen=True)
class Insights:
    since: date
    most_read: list[ArticleFigures]
    least_helpful: list[ArticleFigures]
    shown: int
    opened: int
    solved: int
    filed_anyway: int
    gaps: list[tuple[str, int]]

    @property
    def deflection_rate(self) -> float | None:
        """Problems solved by a suggestion, per suggestion shown."""
        return self.solved / self.shown if self.shown else None


def insights(days: int = 30, limit: int = 10) -> Insights:
    """The admins' figures over the last `days` days, from the daily counters."""
    since = timezone.localdate() - timedelta(days=days - 1)
    per_article = (
        ArticleDay.objects.filter(day__gte=since)
        .values("article")
        .annotate(
            viewed_sum=Sum("viewed"),
            helpful_sum=Sum("helpful"),
            not_helpful_sum=Sum("not_helpful"),
        )
    )
    rows = {row["article"]: row for row in per_article}
    articles = Article.objects.in_bulk(rows)

    def figures(row) -> ArticleFigures:
        return ArticleFigures(
            articles[row["article"]], row["viewed_sum"], row["helpful_sum"], row["not_helpful_sum"]
        )

    most_read = sorted(rows.values(), key=lambda r: (-r["viewed_sum"], r["article"]))
    voted = [r for r in rows.values() if r["helpful_sum"] + r["not_helpful_sum"]]
    least = sorted(
        voted,
        key=lambda r: (
            r["helpful_sum"] / (r["helpful_sum"] + r["not_helpful_sum"]),
            -r["not_helpful_sum"],
        ),
    )
    totals = ArticleDay.objects.filter(day__gte=since).aggregate(
        shown=Sum("shown"), opened=Sum("opened"), solved=Sum("solved"), filed=Sum("filed_anyway")
    )
    gaps = (
        SearchGap.objects.filter(day__gte=since)
        .values("query")
        .annotate(total=Sum("searches"))
        .order_by("-total", "query")[:limit]
    )
    return Insights(
        since=since,
        most_read=[figures(r) for r in most_read[:limit] if r["viewed_sum"]],
        least_helpful=[figures(r) for r in least[:limit]],
        shown=totals["shown"] or 0,
        opened=totals["opened"] or 0,
        solved=totals["solved"] or 0,
        filed_anyway=totals["filed"] or 0,
        gaps=[(g["query"], g["total"]) for g in gaps],
    )
