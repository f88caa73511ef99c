"""The help center's pages: home, topics, articles, search, suggestions and the procedure.

Readable by anyone, signed in or not. Thin like every view here: parse, call a service or
selector, render.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import staff_page
from evidence.secret_guard import find_secret
from helpcenter import selectors, services, web
from helpcenter.models import Event, Topic, content_language
from helpcenter.procedure import procedure_limits
from helpcenter.search import search_articles, suggest_articles

SEARCH_RESULTS = 20


def _reader_language(request) -> str:
    """?lang= (a link an agent sent) sets the page's language; else the reader's own."""
    asked = request.GET.get("lang", "")
    if asked in dict(settings.LANGUAGES):
        translation.activate(asked)
        request.LANGUAGE_CODE = asked
    return content_language()


@require_GET
def help_home(request):
    _reader_language(request)
    return render(
        request,
        "helpcenter/home.html",
        {
            "topics": selectors.topics_with_counts(),
            "popular": selectors.popular_articles(),
        },
    )


@require_GET
def topic_page(request, topic):
    _reader_language(request)
    if topic not in Topic.values:
        raise Http404
    return render(
        request,
        "helpcenter/topic.html",
        {"topic": Topic(topic), "articles": selectors.topic_articles(topic)},
    )


@require_GET
def article_page(request, slug):
    language = _reader_language(request)
    article = selectors.article_get(slug)
    if article is None:
        raise Http404
    from_suggestion = request.GET.get("from") == "suggestion"
    visitor = web.visitor(request)
    services.article_events_record(event=Event.VIEWED, article_ids=[article.pk], visitor=visitor)
    if from_suggestion:
        services.article_events_record(
            event=Event.OPENED, article_ids=[article.pk], visitor=visitor
        )
    web.remember_read(request, article.pk, from_suggestion=from_suggestion)
    return render(
        request,
        "helpcenter/article.html",
        {
            "article": article,
            "title": article.title_in(language),
            "body": article.rendered(language),
            "related": selectors.related_articles(article),
            "from_suggestion": from_suggestion,
            "is_procedure": article.topic == Topic.COMPLAINTS_PROCEDURE,
        },
    )


@require_POST
def article_feedback(request, slug):
    article = selectors.article_get(slug)
    if article is None:
        raise Http404
    helpful = request.POST.get("helpful") == "yes"
    services.article_feedback(article=article, helpful=helpful, visitor=web.visitor(request))
    context = {"article": article, "answered": True, "helpful": helpful}
    if request.htmx:
        return render(request, "helpcenter/partials/_feedback.html", context)
    messages.success(request, _("Thank you for telling us."))
    return redirect("help:article", slug=article.slug)


@require_POST
def article_solved(request, slug):
    """ "This solved my problem", from an article a suggestion opened: no case needed."""
    article = selectors.article_get(slug)
    if article is None:
        raise Http404
    services.article_events_record(
        event=Event.SOLVED, article_ids=[article.pk], visitor=web.visitor(request)
    )
    messages.success(request, _("We are glad it is solved. You do not need to file a complaint."))
    return redirect("help:home")


@require_GET
def search_page(request):
    language = _reader_language(request)
    text = request.GET.get("q", "").strip()[:200]
    if text and find_secret(text) is not None:
        # Neither searched, logged nor shown back: the page is reloaded without it, so the
        # secret leaves the address bar and the browser's history too.
        return redirect(reverse("help:search") + "?refused=1")
    result = None
    if text:
        result = search_articles(text, language=language, limit=SEARCH_RESULTS)
        if not result.hits:
            services.search_gap_record(query=text, visitor=web.visitor(request))
    return render(
        request,
        "helpcenter/search.html",
        {
            "q": text,
            "holds_secret": request.GET.get("refused") == "1",
            "result": result,
            "file_url": _file_url(text),
        },
    )


def _file_url(subject: str) -> str:
    """ "Still need help?": the filing form, with what the customer searched for carried over."""
    url = reverse("tickets:file")
    if subject:
        url += "?" + urlencode({"subject": subject})
    return url


@require_GET
def suggestions(request):
    """The filing page's suggestions for the subject being typed (htmx, debounced)."""
    language = _reader_language(request)
    text = request.GET.get("subject", "")[:200]
    category = request.GET.get("category", "")
    hits = (
        []
        if find_secret(text)
        else suggest_articles(text, language=language, category=category or None)
    )
    if hits:
        services.article_events_record(
            event=Event.SHOWN,
            article_ids=[hit.article.pk for hit in hits],
            visitor=web.visitor(request),
        )
    return render(request, "helpcenter/partials/_suggestions.html", {"hits": hits})


@require_GET
def procedure_page(request):
    _reader_language(request)
    return render(
        request,
        "helpcenter/procedure.html",
        {
            "limits": procedure_limits(),
            "articles": selectors.topic_articles(Topic.COMPLAINTS_PROCEDURE),
        },
    )


@staff_page
@require_GET
def insights_page(request):
    days = request.GET.get("days", "30")
    days = int(days) if days.isdigit() and 1 <= int(days) <= 366 else 30
    return render(
        request, "helpcenter/insights.html", {"insights": selectors.insights(days), "days": days}
    )
