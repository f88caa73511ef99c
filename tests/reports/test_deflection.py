"""The deflection report reads the help center's own day counters."""

from datetime import date

import pytest

from helpcenter.models import Article, ArticleDay
from reports.deflection import Counts, help_center_counts
from tests.factories import category

pytestmark = pytest.mark.django_db


def article(slug: str, *codes: str) -> Article:
    made = Article.objects.create(
        slug=slug, topic="deposits-withdrawals", title_en=slug, body_en="x"
    )
    made.categories.set([category(code) for code in codes])
    return made


def test_the_help_centers_days_sum_once_per_article_whatever_its_categories():
    both = article("both", "withdrawal-not-received", "deposit-not-credited")
    other = article("other", "kyc")
    day = date(2026, 12, 1)
    ArticleDay.objects.create(article=both, day=day, shown=10, opened=4, solved=3, filed_anyway=1)
    ArticleDay.objects.create(article=other, day=day, shown=5, opened=1, solved=0, filed_anyway=2)
    ArticleDay.objects.create(article=other, day=date(2026, 11, 1), shown=99)

    assert help_center_counts(day, day, []) == {day: Counts(15, 5, 3, 3)}
    funding = ["withdrawal-not-received", "deposit-not-credited"]
    assert help_center_counts(day, day, funding) == {day: Counts(10, 4, 3, 1)}
    assert help_center_counts(day, day, funding)[day].rate == 75.0
