"""The help center's pages, the filing page's suggestions and the workbench's side of it."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from mnemonic import Mnemonic

from helpcenter.models import ArticleDay, SearchGap, TicketArticleRead
from sla.models import SLAPolicy
from tests.factories import AgentFactory, CustomerFactory, category, login_verified
from tests.helpcenter.helpers import article
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

NOTICE = "Our staff will never ask for your password"
SEED_PHRASE = Mnemonic("english").to_mnemonic(bytes(range(16)))


@pytest.fixture
def library():
    return [
        article(
            "My withdrawal has not arrived",
            "Check the **withdrawal** status first. See {official_domain}.",
            "提现未到账怎么办",
            "请先查看提现状态，并确认网址是 {official_domain}。",
            topic="deposits-withdrawals",
            categories=["withdrawal-not-received"],
            popular=True,
            slug="withdrawal-not-received",
        ),
        article("Freeze your account", "Freeze it at once.", "冻结账户", "立即冻结账户。",
                topic="security", categories=["compromised-account"], slug="freeze"),
        article("How to file", "Include the TxID.", "如何投诉", "请提供 TxID。",
                topic="complaints-procedure", slug="how-to-file-a-complaint"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "name,args", [("help:home", []), ("help:topic", ["security"]), ("help:search", []),
                  ("help:procedure", []), ("help:article", ["freeze"])],
)  # fmt: skip
def test_every_page_opens_signed_out_with_the_anti_phishing_notice(client, library, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    assert NOTICE in response.content.decode()


def test_the_home_page_lists_topics_and_popular_articles_in_chinese(client, library):
    page = client.get("/help/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "提现未到账怎么办" in page and "安全" in page


def test_an_article_is_rendered_sanitized_with_the_official_domain(client, library, settings):
    settings.OFFICIAL_DOMAIN = "help.example.org"
    page = client.get("/help/articles/withdrawal-not-received/").content.decode()
    assert "<strong>withdrawal</strong>" in page and "help.example.org" in page
    assert "Did this help?" in page


def test_an_article_can_be_asked_for_in_the_other_language(client, library):
    page = client.get("/help/articles/freeze/?lang=zh-hans").content.decode()
    assert "立即冻结账户" in page and 'lang="zh-hans"' in page


def test_unknown_and_unpublished_articles_are_404(client, library):
    article("Draft", "x", published=False, slug="draft")
    assert client.get("/help/articles/draft/").status_code == 404
    assert client.get("/help/topics/nope/").status_code == 404


def test_did_this_help_counts_once_and_answers_in_place(client, library):
    url = reverse("help:feedback", args=["freeze"])
    response = client.post(url, {"helpful": "yes"}, HTTP_HX_REQUEST="true")
    assert "glad it helped" in response.content.decode()
    client.post(url, {"helpful": "no"}, HTTP_HX_REQUEST="true")
    row = ArticleDay.objects.get(article__slug="freeze")
    assert (row.helpful, row.not_helpful) == (1, 0)


def test_search_results_mark_the_words_and_offer_the_filing_form(client, library):
    page = client.get(
        "/help/search/", {"q": "到账"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "<mark>到账</mark>" in page
    assert "/tickets/new/?subject=%E5%88%B0%E8%B4%A6" in page


def test_a_search_with_no_result_is_kept_as_a_gap(client, library):
    client.get("/help/search/", {"q": "staking rewards"})
    assert SearchGap.objects.get().query == "staking rewards"


def test_a_search_holding_a_seed_phrase_is_neither_kept_nor_echoed(client, library):
    response = client.get("/help/search/", {"q": SEED_PHRASE})
    assert response.status_code == 302 and "abandon" not in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "We did not search for it" in page
    assert SEED_PHRASE.split()[3] not in page
    assert not SearchGap.objects.exists()


def test_the_procedure_page_reads_its_limits_from_the_live_policies(client, library, settings):
    settings.REDRESS_FINAL_DECISION_DAYS = 61
    settings.REDRESS_APPEAL_WINDOW_DAYS = 21
    fallback = SLAPolicy.objects.get(tier="support", category=None, priority="")
    fallback.first_response_target = timedelta(hours=30)
    fallback.save()
    page = re.sub(r"\s+", " ", client.get("/help/complaints-procedure/").content.decode())
    assert 'First reply within <span class="limit">30 hours</span>' in page
    assert "within 61 days of your complaint" in page
    assert "within 21 days of it" in page
    assert "free of charge" in page


def test_the_insights_page_is_for_staff(client, library):
    customer = CustomerFactory()
    client.force_login(customer)
    assert client.get("/help/insights/").status_code == 404
    login_verified(client, AgentFactory())
    client.get("/help/search/", {"q": "staking"})
    page = client.get("/help/insights/").content.decode()
    assert "staking" in page and "Deflection rate" in page


def test_the_filing_page_suggests_and_the_case_records_what_was_read(client, library):
    customer = CustomerFactory()
    client.force_login(customer)
    response = client.get(
        "/help/suggestions/",
        {"subject": "my withdrawal", "category": "withdrawal-not-received"},
        HTTP_HX_REQUEST="true",
    )
    assert 'value="withdrawal-not-received" form="filing-form"' in response.content.decode()
    client.get("/help/articles/withdrawal-not-received/?from=suggestion")
    response = client.post(
        "/tickets/new/",
        {
            "category": "other",
            "subject": "My withdrawal",
            "description": "It never arrived.",
            "help_shown": ["withdrawal-not-received"],
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(customer=customer)
    read = TicketArticleRead.objects.get(ticket=ticket)
    assert read.article.slug == "withdrawal-not-received" and read.from_suggestion
    row = ArticleDay.objects.get(article__slug="withdrawal-not-received")
    assert (row.shown, row.opened, row.filed_anyway) == (1, 1, 1)


def test_the_filing_form_carries_the_search_over(client):
    client.force_login(CustomerFactory())
    page = client.get("/tickets/new/", {"subject": "USDT 提现"}).content.decode()
    assert 'value="USDT 提现"' in page


def test_the_workbench_shows_what_was_read_and_links_an_article_in_the_customers_language(
    client, library, settings
):
    from helpcenter import services
    from tickets import services as ticket_services

    settings.SITE_URL = "https://desk.example.org"
    customer = CustomerFactory()
    customer.customer_profile.preferred_language = "zh-hans"
    customer.customer_profile.save()
    ticket = ticket_services.ticket_file(
        customer=customer, filed_by=customer, category=category("other"),
        subject="Hacked", description="Someone logged in.", fields={},
    )  # fmt: skip
    services.ticket_filed_after_reading(
        ticket_id=ticket.pk,
        reads=[(library[1].pk, True, ticket.created_at)],
        suggested_slugs=[],
        visitor="v",
    )
    login_verified(client, AgentFactory())
    page = client.get(reverse("staff:ticket", args=[ticket.reference])).content.decode()
    assert 'id="articles-read"' in page and "Freeze your account" in page
    assert 'id="article-select"' in page
    response = client.get(
        reverse("staff:canned", args=[ticket.reference]),
        {"reply-body": "您好，", "article": "freeze"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "您好，\n\n冻结账户: https://desk.example.org/help/articles/freeze/?lang=zh-hans" in body
