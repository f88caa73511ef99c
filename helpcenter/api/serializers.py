from django.urls import reverse
from rest_framework import serializers

from helpcenter.models import Topic


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    topic = serializers.ChoiceField(choices=Topic.choices, required=False)
    lang = serializers.ChoiceField(choices=["en", "zh", "zh-hans"], required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=10)


class SuggestQuery(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    category = serializers.CharField(required=False, allow_blank=True, max_length=40)
    lang = serializers.ChoiceField(choices=["en", "zh", "zh-hans"], required=False)


class ArticleLanguageQuery(serializers.Serializer):
    lang = serializers.ChoiceField(choices=["en", "zh", "zh-hans"], required=False)


class ArticleHit(serializers.Serializer):
    slug = serializers.CharField(source="article.slug")
    topic = serializers.CharField(source="article.topic")
    title = serializers.SerializerMethodField()
    language = serializers.CharField(help_text="The language of the text that matched.")
    rank = serializers.FloatField()
    snippet = serializers.CharField(help_text="HTML: the matched words inside <mark>.")
    url = serializers.SerializerMethodField()

    def get_title(self, hit) -> str:
        return hit.article.title_in(self.context["language"])

    def get_url(self, hit) -> str:
        path = reverse("help:article", args=[hit.article.slug])
        return self.context["request"].build_absolute_uri(path)


class ArticleOut(serializers.Serializer):
    slug = serializers.CharField()
    topic = serializers.CharField()
    language = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    body_markdown = serializers.SerializerMethodField()
    body_html = serializers.SerializerMethodField(help_text="Sanitized HTML.")
    categories = serializers.SerializerMethodField(help_text="Codes of the ticket categories.")
    updated_at = serializers.DateTimeField()

    def get_categories(self, article) -> list[str]:
        return [category.code for category in article.categories.all()]

    def get_language(self, article) -> str:
        return self.context["language"]

    def get_title(self, article) -> str:
        return article.title_in(self.context["language"])

    def get_body_markdown(self, article) -> str:
        return article.body_in(self.context["language"])

    def get_body_html(self, article) -> str:
        return str(article.rendered(self.context["language"]))


class FeedbackIn(serializers.Serializer):
    helpful = serializers.BooleanField()


class FeedbackOut(serializers.Serializer):
    counted = serializers.BooleanField(
        help_text="False when this visitor already answered for this article today."
    )
