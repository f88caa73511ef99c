"""Help-center search and suggestions on the test database (PostgreSQL or SQLite FTS5)."""

import pytest

from helpcenter.search import search_articles, suggest_articles
from tests.helpcenter.helpers import article

pytestmark = pytest.mark.django_db


def slugs(result):
    return [hit.article.slug for hit in (result.hits if hasattr(result, "hits") else result)]


def test_a_chinese_word_finds_the_article_that_has_it_inside_a_longer_run():
    article(
        "Withdrawal missing",
        "Check the status.",
        "提现未到账",
        "如果提现未到账，请先查看状态。",
        slug="withdrawal",
    )
    article("KYC", "Documents.", "身份认证", "请上传证件。", slug="kyc")
    for word in ("到账", "提现", "提现未到账"):
        assert slugs(search_articles(word, language="zh")) == ["withdrawal"], word


def test_four_characters_find_the_article_by_their_bigrams():
    article("Freeze", "Freeze at once.", "冻结账户", "立即冻结账户，然后修改密码。", slug="freeze")
    article("Login", "Reset.", "无法登录", "请重置密码后再登录账户。", slug="login")
    assert slugs(search_articles("冻结账户", language="zh")) == ["freeze"]


def test_a_single_character_does_not_flood_the_results():
    for n in range(5):
        article(f"A{n}", "text", f"账户问题{n}", "账户余额、账户安全、对账单。", slug=f"a{n}")
    assert search_articles("账", language="zh").hits == []


def test_mixed_language_text_is_found():
    article("USDT", "English body.", "USDT 提现", "USDT 提现需要选择正确的网络。", slug="usdt")
    article("BTC", "English body.", "BTC 充值", "BTC 充值需要区块确认。", slug="btc")
    assert slugs(search_articles("USDT 提现", language="zh")) == ["usdt"]


def test_a_title_match_ranks_above_a_body_match():
    article("Deposit fees", "What you pay.", slug="in-title")
    article("Charges", "Every deposit has a small cost.", slug="in-body")
    assert slugs(search_articles("deposit", language="en")) == ["in-title", "in-body"]


def test_the_readers_language_ranks_first_and_the_snippet_marks_the_match():
    article(
        "Network fee",
        "The network fee is paid to miners.",
        "网络费",
        "网络费 fee 付给矿工。",
        slug="fee",
    )
    hit = search_articles("fee", language="en").hits[0]
    assert hit.language == "en"
    assert "<mark>fee</mark>" in hit.snippet
    zh = search_articles("矿工", language="zh").hits[0]
    assert zh.language == "zh" and "<mark>矿工</mark>" in zh.snippet


def test_a_snippet_never_lets_markup_through():
    article("Scripts", "Never paste <script>alert(1)</script> code.", slug="xss")
    hit = search_articles("paste", language="en").hits[0]
    assert "<script>" not in hit.snippet


def test_unpublished_articles_are_hidden():
    article("Secret draft about deposits", "Draft.", published=False, slug="draft")
    article("Deposits", "Published.", slug="live")
    assert slugs(search_articles("deposit", language="en")) == ["live"]


def test_when_no_article_has_every_word_the_ones_with_some_come_back_marked_inexact():
    article("Deposit delays", "Confirmations take time.", slug="deposit")
    result = search_articles("deposit spaceship", language="en")
    assert slugs(result) == ["deposit"] and not result.exact


def test_an_empty_or_stopword_query_finds_nothing():
    article("Deposit", "Text.")
    assert search_articles("   ", language="en").hits == []
    assert search_articles("the of", language="en").hits == []


def test_a_topic_narrows_the_search():
    article("Deposit account", "x", topic="account", slug="acc")
    article("Deposit futures", "x", topic="futures", slug="fut")
    assert slugs(search_articles("deposit", language="en", topic="futures")) == ["fut"]


def test_suggestions_put_the_chosen_categorys_articles_first():
    article("Withdrawal fees", "Withdrawal costs.", categories=["fees"], slug="fees")
    article(
        "Withdrawal not received",
        "Withdrawal stuck.",
        categories=["withdrawal-not-received"],
        slug="stuck",
    )
    article("Withdrawal limits", "Withdrawal limit.", slug="limits")
    got = slugs(
        suggest_articles("my withdrawal", language="en", category="withdrawal-not-received")
    )
    assert got[0] == "stuck" and set(got) == {"stuck", "fees", "limits"}


def test_suggestions_match_the_word_being_typed_as_a_prefix():
    article("Withdrawal not received", "Stuck.", slug="stuck")
    assert slugs(suggest_articles("USDT withdra", language="en")) == ["stuck"]


def test_with_nothing_typed_the_categorys_articles_are_suggested_by_id_or_code():
    from tests.factories import category

    one = article("KYC documents", "x", categories=["kyc"], popular=True, slug="kyc-docs")
    article("KYC time", "x", categories=["kyc"], slug="kyc-time")
    article("Other", "x", slug="other")
    assert slugs(suggest_articles("", category="kyc")) == ["kyc-docs", "kyc-time"]
    assert slugs(suggest_articles("", category=category("kyc").pk))[0] == one.slug


def test_past_the_candidate_cap_a_title_match_still_ranks_first(monkeypatch):
    from helpcenter import search

    monkeypatch.setattr(search, "CANDIDATES", 2)
    for n in range(5):
        article(f"Other {n}", "A staking question in the body.", slug=f"body-{n}")
    article("Staking rewards", "Paid weekly.", slug="title")
    assert slugs(search_articles("staking", language="en"))[0] == "title"
