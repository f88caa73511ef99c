"""Canned replies: prepared answers filled in for one case, in the customer's language."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.utils import translation

from helpcenter import selectors as help_selectors
from helpcenter.models import Article, content_language
from tickets.formatting import when_text
from tickets.models import CannedReply, Ticket


def canned_replies() -> QuerySet[CannedReply]:
    return CannedReply.objects.filter(is_active=True)


def customer_language(ticket: Ticket) -> str:
    """The customer's preferred language, English when they never chose one."""
    try:
        return ticket.customer.customer_profile.preferred_language or "en"
    except ObjectDoesNotExist:
        return "en"


def next_due(ticket: Ticket):
    """The deadline the customer was promised next: a reply if one is owed, else the outcome."""
    if ticket.first_responded_at is None and ticket.first_response_due_at:
        return ticket.first_response_due_at
    return ticket.next_response_due_at or ticket.resolution_due_at


def render_canned(reply: CannedReply, ticket: Ticket) -> str:
    """The reply's text for this case, placeholders filled.

    Plain `str.replace`, not `str.format`: a brace anywhere else in an admin's text (a JSON
    sample, a smiley) must come out as written, never raise or pull in an attribute.
    """
    language = customer_language(ticket)
    body = reply.body_zh if language.startswith("zh") and reply.body_zh else reply.body_en
    due = next_due(ticket)
    with translation.override(language):
        due_text = when_text(due) if due else ""
    values = {
        "{customer_name}": ticket.customer.display_name,
        "{reference}": ticket.reference,
        # In the customer's language, with its zone, as every page writes a moment.
        "{due}": due_text,
    }
    for placeholder, value in values.items():
        body = body.replace(placeholder, value)
    return body


def help_articles(ticket: Ticket) -> list[Article]:
    """Articles an agent may link in a reply: those answering the case's category first."""
    return help_selectors.articles_for_category(ticket.category_id)


def render_article_link(article: Article, ticket: Ticket) -> str:
    """A help-center link for the reply, titled and opening in the customer's language."""
    language = customer_language(ticket)
    title = article.title_in(content_language(language))
    return f"{title}: {settings.SITE_URL}{help_selectors.article_path(article, language)}"
