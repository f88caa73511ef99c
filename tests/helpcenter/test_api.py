"""The public help-center API: search, one article, feedback, suggestions; in the schema."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.helpcenter.helpers import article

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def library():
    article(
        "Withdrawal not received",
        "Check the status.",
        "提现未到账",
        "提现未到账时，先查看提现状态。",
        categories=["withdrawal-not-received"],
        slug="withdrawal",
    )
    article("KYC documents", "Upload a passport.", "身份认证材料", "上传护照。",
            topic="kyc", categories=["kyc"], slug="kyc")  # fmt: skip


def test_search_without_signing_in_ranks_and_marks(api, library):
    response = api.get("/api/v1/help/articles/", {"q": "到账", "lang": "zh"})
    assert response.status_code == 200
    hit = response.json()[0]
    assert hit["slug"] == "withdrawal" and hit["title"] == "提现未到账"
    assert "<mark>到账</mark>" in hit["snippet"]
    assert hit["url"].endswith("/help/articles/withdrawal/")


def test_without_a_query_the_topic_is_listed(api, library):
    assert [a["slug"] for a in api.get("/api/v1/help/articles/", {"topic": "kyc"}).json()] == [
        "kyc"
    ]


def test_one_article_in_the_asked_language(api, library):
    body = api.get("/api/v1/help/articles/kyc/", {"lang": "zh"}).json()
    assert body["title"] == "身份认证材料" and body["categories"] == ["kyc"]
    assert body["body_html"] == "<p>上传护照。</p>"
    assert api.get("/api/v1/help/articles/nope/").status_code == 404


def test_feedback_counts_once(api, library):
    url = "/api/v1/help/articles/kyc/feedback/"
    assert api.post(url, {"helpful": True}, format="json").json() == {"counted": True}
    assert api.post(url, {"helpful": False}, format="json").json() == {"counted": False}
    assert api.post(url, {}, format="json").status_code == 400


def test_suggest_puts_the_category_first(api, library):
    response = api.get("/api/v1/help/suggest/", {"q": "documents status", "category": "kyc"})
    assert [hit["slug"] for hit in response.json()] == ["kyc", "withdrawal"]


def test_the_endpoints_are_in_the_schema(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    for path in (
        "/api/v1/help/articles/",
        "/api/v1/help/articles/{slug}/",
        "/api/v1/help/articles/{slug}/feedback/",
        "/api/v1/help/suggest/",
    ):
        assert path in schema["paths"], path


def test_the_endpoints_are_throttled(api, library, settings):
    from rest_framework.settings import api_settings

    cache.clear()
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "help": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from rest_framework.throttling import ScopedRateThrottle

    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = rates
    try:
        codes = [api.get("/api/v1/help/suggest/", {"q": "kyc"}).status_code for _ in range(3)]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original
    assert codes == [200, 200, 429]
