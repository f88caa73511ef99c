"""Articles' Markdown to sanitized HTML (Markdown, then nh3), and to plain text for search.

Rendering is pure and cached: by the text and the official domain it mentions, in this
process and in the shared cache, so a page view never runs Markdown twice for one text.
"""

from __future__ import annotations

import hashlib
import html
import re
from functools import lru_cache

import markdown
import nh3
from django.conf import settings
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "li", "ol", "p", "pre",
    "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"align"}, "th": {"align"}}
CACHE_SECONDS = 24 * 3600
_BLOCK_END = re.compile(r"</(?:p|li|h[2-4]|td|th|pre|blockquote)>|<br\s*/?>")


def _with_domain(text: str) -> str:
    return text.replace("{official_domain}", settings.OFFICIAL_DOMAIN)


def _sanitized(text: str) -> str:
    converted = markdown.markdown(_with_domain(text), extensions=["tables", "sane_lists"])
    return nh3.clean(
        converted,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"https", "http", "mailto"},
        link_rel="noopener noreferrer",
    )


@lru_cache(maxsize=512)
def _render(text: str, domain: str) -> str:
    key = "help-md:" + hashlib.sha256(f"{domain}\0{text}".encode()).hexdigest()
    rendered = cache.get(key)
    if rendered is None:
        rendered = _sanitized(text)
        cache.set(key, rendered, CACHE_SECONDS)
    return rendered


def render_markdown(text: str) -> SafeString:
    """The article body as HTML that is safe to show: only the tags above, no script."""
    return mark_safe(_render(text, settings.OFFICIAL_DOMAIN))


def plain_text(text: str) -> str:
    """The words a reader sees, without Markdown or HTML: what search indexes and cuts."""
    # Block ends become spaces (words of two paragraphs never run together); inline tags
    # leave nothing behind, so a bold word inside Chinese text gains no space.
    spaced = _BLOCK_END.sub(" ", _sanitized(text))
    without_tags = nh3.clean(spaced, tags=set())
    return " ".join(html.unescape(without_tags).split())
