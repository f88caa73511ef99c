"""The public help-center API (DESIGN.md): readable without signing in, throttled.

help/articles/          ranked search (`q`, `topic`, `lang`), or the published list
help/articles/{slug}/   one article in the asked language
help/articles/{slug}/feedback/   "did this help?" (`helpful`)
help/suggest/           the best articles for a ticket subject being typed (`q`, `category`)
"""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSet

from evidence.secret_guard import find_secret
from helpcenter import selectors, services, web
from helpcenter.api import serializers as s
from helpcenter.models import Event, content_language
from helpcenter.search import Hit, search_articles, suggest_articles


class PublicHelp:
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "help"


def _language(data) -> str:
    return content_language(data.get("lang") or None)


class ArticleViewSet(PublicHelp, ViewSet):
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    @extend_schema(parameters=[s.SearchQuery], responses=s.ArticleHit(many=True))
    def list(self, request):
        params = s.SearchQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        language = _language(data)
        text = data["q"].strip()
        context = {"request": request, "language": language}
        if not text or find_secret(text):
            # No query (or one holding a secret, never searched or kept): the topic's list.
            articles = (
                selectors.topic_articles(data["topic"])
                if data.get("topic")
                else selectors.published().order_by("topic", "title_en")
            )
            hits = [
                Hit(article=a, language=language, rank=0.0, title=a.title_in(language), snippet="")
                for a in articles[: data["limit"]]
            ]
            return Response(s.ArticleHit(hits, many=True, context=context).data)
        result = search_articles(
            text, language=language, topic=data.get("topic"), limit=data["limit"]
        )
        if not result.hits:
            services.search_gap_record(query=text, visitor=web.visitor(request, session=False))
        return Response(s.ArticleHit(result.hits, many=True, context=context).data)

    @extend_schema(parameters=[s.ArticleLanguageQuery], responses=s.ArticleOut)
    def retrieve(self, request, slug=None):
        params = s.ArticleLanguageQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        article = self._article(slug)
        services.article_events_record(
            event=Event.VIEWED,
            article_ids=[article.pk],
            visitor=web.visitor(request, session=False),
        )
        context = {"language": _language(params.validated_data)}
        return Response(s.ArticleOut(article, context=context).data)

    @extend_schema(request=s.FeedbackIn, responses={200: s.FeedbackOut})
    @action(detail=True, methods=["post"])
    def feedback(self, request, slug=None):
        article = self._article(slug)
        data = s.FeedbackIn(data=request.data)
        data.is_valid(raise_exception=True)
        counted = services.article_feedback(
            article=article,
            helpful=data.validated_data["helpful"],
            visitor=web.visitor(request, session=False),
        )
        return Response({"counted": counted}, status=status.HTTP_200_OK)

    def _article(self, slug):
        article = selectors.article_get(slug)
        if article is None:
            raise Http404
        return article


class SuggestView(PublicHelp, APIView):
    @extend_schema(parameters=[s.SuggestQuery], responses=s.ArticleHit(many=True))
    def get(self, request):
        params = s.SuggestQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        language = _language(data)
        text = data["q"]
        hits = (
            []
            if find_secret(text)
            else suggest_articles(text, language=language, category=data.get("category") or None)
        )
        if hits:
            services.article_events_record(
                event=Event.SHOWN,
                article_ids=[hit.article.pk for hit in hits],
                visitor=web.visitor(request, session=False),
            )
        context = {"request": request, "language": language}
        return Response(s.ArticleHit(hits, many=True, context=context).data)
