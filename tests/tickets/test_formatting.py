"""One way to write a moment per language, with its zone, on every page."""

from datetime import UTC, datetime

from django.template import Context, Template
from django.utils import translation

from tickets.formatting import when_text

MOMENT = datetime(2026, 12, 2, 21, 16, 40, tzinfo=UTC)


def test_a_moment_reads_the_same_way_everywhere_in_each_language():
    assert when_text(MOMENT) == "Dec 2, 2026, 21:16 UTC"
    with translation.override("zh-hans"):
        assert when_text(MOMENT) == "2026年12月2日 21:16 UTC"


def test_the_date_filter_of_django_follows_the_same_format():
    template = Template(
        '{{ moment|date:"DATETIME_FORMAT" }}|{{ moment|date:"SHORT_DATETIME_FORMAT" }}'
    )
    assert template.render(Context({"moment": MOMENT})) == "Dec 2, 2026, 21:16|Dec 2, 2026, 21:16"


def test_the_when_filter_writes_a_time_element_the_browser_localizes():
    html = Template('{% load redress %}{{ moment|when:"due" }}').render(Context({"moment": MOMENT}))
    assert html == (
        '<time datetime="2026-12-02T21:16:40+00:00" data-local id="due">'
        "Dec 2, 2026, 21:16 UTC</time>"
    )
