"""Counters per article and day: set-based, once per view; gaps pass the secret guard first."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from mnemonic import Mnemonic

from helpcenter import services
from helpcenter.models import ArticleDay, Event, SearchGap, TicketArticleRead
from helpcenter.selectors import insights
from tests.helpcenter.helpers import article

pytestmark = pytest.mark.django_db

# A valid recovery phrase (its checksum holds), as a scammed customer might paste it.
SEED_PHRASE = Mnemonic("english").to_mnemonic(bytes(range(16)))


def day_row(item):
    return ArticleDay.objects.get(article=item, day=timezone.localdate())


def test_a_reload_does_not_count_twice_but_another_visitor_does():
    item = article()
    for visitor in ("v1", "v1", "v2"):
        services.article_events_record(event=Event.VIEWED, article_ids=[item.pk], visitor=visitor)
    assert day_row(item).viewed == 2


def test_events_count_separately_and_days_separately():
    one, two = article(), article()
    record = services.article_events_record
    assert record(event=Event.SHOWN, article_ids=[one.pk, two.pk], visitor="v") == sorted(
        [one.pk, two.pk]
    )
    assert record(event=Event.SHOWN, article_ids=[one.pk, two.pk], visitor="v") == []
    record(event=Event.OPENED, article_ids=[one.pk], visitor="v")
    record(
        event=Event.SHOWN, article_ids=[one.pk], visitor="v", day=date.today() - timedelta(days=1)
    )
    row = day_row(one)
    assert (row.shown, row.opened) == (1, 1)
    assert ArticleDay.objects.filter(article=one).count() == 2


def test_one_vote_per_visitor_and_article_a_day_either_way():
    item = article()
    assert services.article_feedback(article=item, helpful=True, visitor="v")
    assert not services.article_feedback(article=item, helpful=False, visitor="v")
    assert services.article_feedback(article=item, helpful=False, visitor="w")
    row = day_row(item)
    assert (row.helpful, row.not_helpful) == (1, 1)


def test_a_search_with_no_result_is_a_gap_once_per_visitor():
    assert services.search_gap_record(query="  Staking  Rewards ", visitor="v")
    assert not services.search_gap_record(query="staking rewards", visitor="v")
    assert services.search_gap_record(query="staking rewards", visitor="w")
    assert SearchGap.objects.get().searches == 2
    assert SearchGap.objects.get().query == "staking rewards"


def test_a_query_holding_a_seed_phrase_is_never_logged():
    assert not services.search_gap_record(query=SEED_PHRASE, visitor="v")
    assert not SearchGap.objects.exists()


def test_a_filed_case_records_what_was_read_and_the_suggestions_filed_past():
    from tests.factories import TicketFactory

    read, shown = article(slug="read-one"), article(slug="shown-one")
    ticket = TicketFactory()
    now = timezone.now()
    for _ in range(2):  # a retry adds nothing
        services.ticket_filed_after_reading(
            ticket_id=ticket.pk,
            reads=[(read.pk, True, now), (999_999, False, now)],
            suggested_slugs=["shown-one", "no-such-article"],
            visitor="v",
        )
    assert list(TicketArticleRead.objects.values_list("article__slug", "from_suggestion")) == [
        ("read-one", True)
    ]
    assert day_row(shown).filed_anyway == 1


def test_insights_give_most_read_least_helpful_deflection_and_gaps():
    good, bad = article(slug="good"), article(slug="bad")
    record = services.article_events_record
    for visitor in ("a", "b", "c"):
        record(event=Event.VIEWED, article_ids=[good.pk], visitor=visitor)
        record(event=Event.SHOWN, article_ids=[good.pk, bad.pk], visitor=visitor)
    record(event=Event.SOLVED, article_ids=[good.pk], visitor="a")
    services.article_feedback(article=good, helpful=True, visitor="a")
    services.article_feedback(article=bad, helpful=False, visitor="a")
    services.search_gap_record(query="staking", visitor="a")
    figures = insights(days=7)
    assert [row.article.slug for row in figures.most_read] == ["good"]
    assert [row.article.slug for row in figures.least_helpful] == ["bad", "good"]
    assert (figures.shown, figures.solved) == (6, 1)
    assert figures.deflection_rate == pytest.approx(1 / 6)
    assert figures.gaps == [("staking", 1)]


def test_old_visitor_keys_are_pruned_and_counters_stay():
    item = article()
    old = timezone.localdate() - timedelta(days=10)
    services.article_events_record(event=Event.VIEWED, article_ids=[item.pk], visitor="v", day=old)
    assert services.counted_prune(before=timezone.localdate() - timedelta(days=2)) == 1
    assert ArticleDay.objects.get(article=item, day=old).viewed == 1
