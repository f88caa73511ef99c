"""One way to write an amount, and a moment per language, on every page and in JSON."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from tickets.formatting import amount_text, when_text

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


class Places:
    def __init__(self, decimals):
        self.decimals = decimals


@pytest.mark.parametrize(
    ("stored", "asset", "written"),
    [
        ("250.000000000000000000", Places(6), "250"),
        ("1520.350000000000000000", Places(6), "1520.35"),
        ("0.300000000000000000", Places(8), "0.3"),
        ("100", None, "100"),  # never 1E+2
        (
            "99999999999999999999.123456789012345678",
            Places(18),
            "99999999999999999999.123456789012345678",
        ),
        ("0.000000010000000000", Places(8), "0.00000001"),
    ],
)
def test_an_amount_is_written_in_its_assets_places_without_trailing_zeros(stored, asset, written):
    assert amount_text(Decimal(stored), asset) == written


def test_no_amount_is_written_as_nothing():
    assert amount_text(None) == "" and amount_text("") == ""
