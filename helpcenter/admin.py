"""Admins write articles in Markdown and preview both languages as customers will see them."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from helpcenter import services
from helpcenter.models import Article, SearchGap


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title_en", "title_zh", "topic", "is_published", "is_popular", "updated_at"]
    list_filter = ["topic", "is_published", "is_popular", "categories"]
    search_fields = ["slug", "title_en", "title_zh"]
    prepopulated_fields = {"slug": ["title_en"]}
    filter_horizontal = ["categories"]
    readonly_fields = ["preview_en", "preview_zh", "updated_at"]
    fieldsets = [
        (None, {"fields": ["slug", "topic", "categories", "is_published", "is_popular"]}),
        (_("English"), {"fields": ["title_en", "body_en", "preview_en"]}),
        (_("Chinese"), {"fields": ["title_zh", "body_zh", "preview_zh"]}),
        (None, {"fields": ["updated_at"]}),
    ]

    @admin.display(description=_("preview (English, as saved)"))
    def preview_en(self, article):
        return self._preview(article, "en")

    @admin.display(description=_("preview (Chinese, as saved)"))
    def preview_zh(self, article):
        return self._preview(article, "zh")

    def _preview(self, article, language):
        if not article.pk:
            return _("Save to see the preview.")
        return format_html(
            '<div class="help-preview"><h2>{}</h2>{}</div>',
            article.title_in(language),
            article.rendered(language),
        )

    def save_model(self, request, obj, form, change):
        # The search documents do not hold the categories, so the form's later save of
        # them (save_related) needs no second indexing.
        services.article_save(article=obj)


@admin.register(SearchGap)
class SearchGapAdmin(admin.ModelAdmin):
    """Content gaps: what customers searched for and found nothing (secrets never kept)."""

    list_display = ["query", "day", "searches"]
    list_filter = ["day"]
    search_fields = ["query"]
    ordering = ["-day", "-searches"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
