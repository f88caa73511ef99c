"""Admins write articles in the Django admin, preview both languages, and the index follows."""

import pytest
from django.urls import reverse

from helpcenter.models import Article
from helpcenter.search import search_articles
from tests.factories import AgentFactory, category, login_verified
from tests.helpcenter.helpers import article

pytestmark = pytest.mark.django_db


def test_an_article_written_in_the_admin_is_searchable_and_previewed(client):
    login_verified(client, AgentFactory(is_superuser=True))
    response = client.post(
        reverse("admin:helpcenter_article_add"),
        {
            "slug": "staking-rewards",
            "topic": "account",
            "categories": [category("other").pk],
            "is_published": "on",
            "title_en": "Staking rewards",
            "body_en": "Rewards are paid **weekly**. <script>alert(1)</script>",
            "title_zh": "质押收益",
            "body_zh": "收益每周发放。",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = Article.objects.get(slug="staking-rewards")
    assert [h.article for h in search_articles("质押", language="zh").hits] == [saved]
    page = client.get(reverse("admin:helpcenter_article_change", args=[saved.pk])).content.decode()
    assert "<strong>weekly</strong>" in page and "收益每周发放。" in page
    assert "<script>alert(1)</script>" not in page.split('name="body_en"')[0]


def test_unpublishing_in_the_admin_hides_it_from_search(client):
    login_verified(client, AgentFactory(is_superuser=True))
    item = article("Staking rewards", "Weekly.", slug="staking")
    data = {
        "slug": item.slug,
        "topic": item.topic,
        "title_en": item.title_en,
        "body_en": item.body_en,
        "title_zh": "",
        "body_zh": "",
    }
    client.post(reverse("admin:helpcenter_article_change", args=[item.pk]), data)
    assert search_articles("staking", language="en").hits == []
