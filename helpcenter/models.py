"""Help-center articles, their search documents and the counters of self-service.

Articles name the ticket categories they answer through a relation given by its label
("tickets.Category"): the help center sits below the tickets app and never imports it.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from helpcenter.rendering import render_markdown


class Topic(models.TextChoices):
    ACCOUNT = "account", _("Account")
    KYC = "kyc", _("Identity verification (KYC)")
    DEPOSITS_WITHDRAWALS = "deposits-withdrawals", _("Deposits and withdrawals")
    SPOT = "spot", _("Spot trading")
    MARGIN = "margin", _("Margin trading")
    FUTURES = "futures", _("Futures")
    API = "api", _("API")
    SECURITY = "security", _("Security")
    COMPLAINTS_PROCEDURE = "complaints-procedure", _("Complaints procedure")


def content_language(language: str | None = None) -> str:
    """The article language for a page language: Chinese or English."""
    return "zh" if (language or get_language() or "").startswith("zh") else "en"


class Article(models.Model):
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    topic = models.CharField(_("topic"), max_length=30, choices=Topic.choices)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    body_en = models.TextField(
        _("text (English)"),
        help_text=_("Markdown. {official_domain} is replaced by the official domain."),
    )
    body_zh = models.TextField(_("text (Chinese)"), blank=True)
    categories = models.ManyToManyField(
        "tickets.Category",
        blank=True,
        related_name="help_articles",
        verbose_name=_("categories it answers"),
    )
    is_published = models.BooleanField(_("published"), default=False)
    is_popular = models.BooleanField(_("shown as popular"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["topic", "title_en"]
        indexes = [
            # The home page's topic counts and the topic pages, without reading the bodies.
            models.Index(
                fields=["topic", "title_en"],
                name="article_published_by_topic",
                condition=Q(is_published=True),
            ),
            models.Index(
                fields=["topic", "title_en"],
                name="article_popular",
                condition=Q(is_published=True, is_popular=True),
            ),
        ]
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")

    def __str__(self) -> str:
        return self.title_en

    def title_in(self, language: str) -> str:
        return (self.title_zh or self.title_en) if language == "zh" else self.title_en

    def body_in(self, language: str) -> str:
        return (self.body_zh or self.body_en) if language == "zh" else self.body_en

    @property
    def title(self) -> str:
        return self.title_in(content_language())

    def rendered(self, language: str):
        """The body in `language` as sanitized HTML (cached)."""
        return render_markdown(self.body_in(language))


class ArticleDocument(models.Model):
    """One article in one language as search sees it: analysed text, rebuilt on every save.

    On PostgreSQL `vector` holds the weighted lexemes and `title_vector` the title's
    (both GIN-indexed, migration 0001); on
    SQLite the FTS5 table helpcenter_articlefts holds them under this row's id. `text` is
    the plain body the snippets are cut from.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="documents")
    language = models.CharField(max_length=8)
    # Copied from the article so a search reads one table.
    is_published = models.BooleanField(default=False)
    title = models.CharField(max_length=200)
    text = models.TextField()
    vector = SearchVectorField(null=True)  # title (A) and body (B)
    title_vector = SearchVectorField(null=True)  # the title alone: candidates to rank

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="article_document_once")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {self.language}"


class Event(models.TextChoices):
    VIEWED = "viewed", _("Read")
    SHOWN = "shown", _("Suggested")
    OPENED = "opened", _("Suggestion opened")
    SOLVED = "solved", _("Solved the problem")
    FILED_ANYWAY = "filed_anyway", _("Filed anyway")
    HELPFUL = "helpful", _("Helpful")
    NOT_HELPFUL = "not_helpful", _("Not helpful")


class ArticleDay(models.Model):
    """What happened to one article on one day: one row per article and day, set-based."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    viewed = models.PositiveIntegerField(default=0, db_default=0)
    shown = models.PositiveIntegerField(default=0, db_default=0)
    opened = models.PositiveIntegerField(default=0, db_default=0)
    solved = models.PositiveIntegerField(default=0, db_default=0)
    filed_anyway = models.PositiveIntegerField(default=0, db_default=0)
    helpful = models.PositiveIntegerField(default=0, db_default=0)
    not_helpful = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "day"], name="article_day_once")]
        indexes = [models.Index(fields=["day"], name="article_day_by_day")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.day}"


class SearchGap(models.Model):
    """Searches that found nothing, per day: what the library is missing.

    Only queries that passed the secret guard are kept (a seed phrase is never stored).
    """

    day = models.DateField()
    query = models.CharField(max_length=200)
    searches = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "query"], name="search_gap_once")]

    def __str__(self) -> str:
        return self.query


class Counted(models.Model):
    """Each (visitor, day, event) counted once, so a reload or a repeat adds nothing.

    `visitor` is a keyed hash of the session (or the user or address): no personal data.
    Rows older than a few days serve no purpose and are pruned (helpcenter.tasks).
    """

    day = models.DateField()
    visitor = models.CharField(max_length=32)
    key = models.CharField(max_length=80)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "visitor", "key"], name="counted_once")
        ]

    def __str__(self) -> str:
        return self.key


class TicketArticleRead(models.Model):
    """An article the customer read before filing this case (shown to the agent)."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="articles_read"
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    from_suggestion = models.BooleanField(default=False)
    read_at = models.DateTimeField()

    class Meta:
        ordering = ["read_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "article"], name="ticket_article_read_once")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.article_id}"
