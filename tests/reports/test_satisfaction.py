"""Satisfaction ratings: once per resolution, the signed link, staff refused, the appeal window."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Team
from chat import services as chats
from escalation import services as lifecycle
from reports import catalogue, rollup, services
from reports import chats as reports_chats
from reports.models import Rating
from reports.query import ReportFilters
from reports.selectors import Scope, rating_link, rating_token
from tests.chat.helpers import active, available_agent, start
from tests.factories import (
    AgentFactory,
    CustomerFactory,
    UserFactory,
    category,
    committee_decides,
    login_verified,
)
from tickets import services as tickets
from tickets.exceptions import InvalidTransition, NotAllowed
from tickets.models import EventKind

pytestmark = pytest.mark.django_db

SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"


def resolved_case(customer=None, *, kind="explanation"):
    """A kyc case proposed and accepted; the invitation worker has been running before."""
    services.ratings_invite()
    customer = customer or CustomerFactory()
    ticket = tickets.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("kyc"),
        subject="KYC refused",
        description="My verification was refused.",
        fields={},
    )
    agent = AgentFactory()
    tickets.ticket_claim(ticket=ticket, actor=agent)
    tickets.ticket_propose_resolution(
        ticket=ticket, actor=agent, kind=kind, summary="Your selfie was blurred."
    )
    lifecycle.resolution_accept(ticket=ticket, actor=customer)
    ticket.refresh_from_db()
    return ticket, agent


def test_a_resolution_is_asked_for_a_rating_once_with_the_case_as_it_was(
    django_capture_on_commit_callbacks,
):
    ticket, agent = resolved_case()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        (rating_id,) = services.ratings_invite()
    rating = Rating.objects.get(pk=rating_id)
    assert (rating.outcome, rating.tier, rating.team_id, rating.assignee) == (
        "explanation",
        "support",
        ticket.team_id,
        agent,
    )
    assert rating.valid_until == rating.resolved_at + timedelta(days=30)
    (invitation,) = mail.outbox
    assert invitation.to == [ticket.customer.email]
    # The link is signed afresh each time it is made: any of them opens this rating.
    link = next(word for word in invitation.body.split() if "/rate/" in word)
    assert link.startswith(f"http://127.0.0.1:8000/tickets/{ticket.reference}/rate/")
    assert "no need to sign in" in invitation.body
    # Read again (the overlap, or a second worker): still one rating, no second mail.
    assert services.ratings_invite() == []
    assert Rating.objects.filter(ticket=ticket).count() == 1


def test_an_auto_accepted_proposal_and_a_committee_decision_are_asked_too(settings):
    from escalation import sweep

    services.ratings_invite()
    customer = CustomerFactory()
    ticket = tickets.ticket_file(
        customer=customer, filed_by=customer, category=category("kyc"), subject="s",
        description="d", fields={},
    )  # fmt: skip
    tickets.ticket_propose_resolution(
        ticket=ticket, actor=AgentFactory(), kind="explanation", summary="x"
    )
    later = timezone.now() + timedelta(days=settings.REDRESS_ACCEPT_AFTER_DAYS, minutes=1)
    with time_machine.travel(later, tick=False):
        sweep.lifecycle_batch(now=later)
    with time_machine.travel(later + timedelta(minutes=1), tick=False):
        services.ratings_invite()
    assert Rating.objects.get(ticket=ticket).resolution_key.startswith("resolution:")

    members = [UserFactory(role="committee", is_staff=True) for _ in range(3)]
    officer = UserFactory(role="appeal_officer", is_staff=True)
    with time_machine.travel(later + timedelta(days=1)):
        other = tickets.ticket_file(
            customer=customer, filed_by=customer, category=category("kyc"), subject="s",
            description="d", fields={},
        )  # fmt: skip
        tickets.ticket_reject(ticket=other, actor=AgentFactory(), reason="No.")
        lifecycle.appeal_file(ticket=other, customer=customer, reason="Yes.")
        tickets.ticket_reject(ticket=other, actor=officer, reason="Still no.")
        lifecycle.appeal_file(ticket=other, customer=customer, reason="Committee.")
        lifecycle.panel_draw(ticket=other)
        committee_decides(other, members, "uphold", "Fine.")
        services.ratings_invite()
    rating = Rating.objects.get(ticket=other)
    assert rating.outcome == "committee_uphold" and rating.tier == "dispute_committee"


def test_the_customer_rates_from_the_signed_link_without_signing_in(client):
    ticket, _agent = resolved_case()
    (rating_id,) = services.ratings_invite()
    url = rating_link(Rating.objects.get(pk=rating_id))
    page = client.get(url)
    assert page.status_code == 200 and 'id="rating-form"' in page.content.decode()
    response = client.post(
        url, {"rating-outcome": "4", "rating-service": "5", "rating-comment": "Quick, thanks."}
    )
    assert response.status_code == 302
    rating = Rating.objects.get(pk=rating_id)
    assert (rating.outcome_score, rating.service_score, rating.comment) == (4, 5, "Quick, thanks.")
    assert ticket.events.filter(kind=EventKind.RATED, actor=ticket.customer).exists()
    # Changeable while valid.
    client.post(url, {"rating-outcome": "3", "rating-service": "5"})
    assert Rating.objects.get(pk=rating_id).outcome_score == 3


def test_a_changed_or_foreign_link_finds_nothing(client):
    ticket, _agent = resolved_case()
    (rating_id,) = services.ratings_invite()
    rating = Rating.objects.get(pk=rating_id)
    token = rating_token(rating)
    other, _ = resolved_case()
    assert (
        client.get(reverse("reports:rate_link", args=[other.reference, token])).status_code == 404
    )
    tampered = reverse("reports:rate_link", args=[ticket.reference, token[:-2] + "xx"])
    assert client.get(tampered).status_code == 404


def test_the_link_is_valid_until_the_appeal_window_ends(client, settings):
    ticket, _agent = resolved_case()
    (rating_id,) = services.ratings_invite()
    rating = Rating.objects.get(pk=rating_id)
    url = rating_link(rating)
    with time_machine.travel(rating.valid_until + timedelta(seconds=1), tick=False):
        page = client.get(url)
        assert page.status_code == 410 and 'id="rating-closed"' in page.content.decode()
        with pytest.raises(InvalidTransition):
            services.rating_submit(
                rating=rating, customer=ticket.customer, outcome_score=5, service_score=5
            )


def test_staff_cannot_rate(client):
    ticket, agent = resolved_case()
    (rating_id,) = services.ratings_invite()
    rating = Rating.objects.get(pk=rating_id)
    with pytest.raises(NotAllowed):
        services.rating_submit(rating=rating, customer=agent, outcome_score=5, service_score=5)
    login_verified(client, agent)
    assert client.get(rating_link(rating)).status_code == 403
    api = APIClient()
    api.force_authenticate(agent)
    response = api.post(
        f"/api/v1/tickets/{ticket.reference}/rate/", {"outcome": 5, "service": 5}, format="json"
    )
    assert response.status_code == 403
    assert Rating.objects.get(pk=rating_id).rated_at is None


def test_scores_are_one_to_five_and_the_comment_passes_the_secret_guard():
    ticket, _agent = resolved_case()
    (rating_id,) = services.ratings_invite()
    rating = Rating.objects.get(pk=rating_id)
    with pytest.raises(ValidationError) as refused:
        services.rating_submit(
            rating=rating, customer=ticket.customer, outcome_score=0, service_score=6
        )
    assert set(refused.value.error_dict) == {"outcome", "service"}
    with pytest.raises(ValidationError) as refused:
        services.rating_submit(
            rating=rating,
            customer=ticket.customer,
            outcome_score=5,
            service_score=5,
            comment=f"My words are {SEED}",
        )
    assert "comment" in refused.value.error_dict
    assert "sausage" not in str(refused.value)
    assert Rating.objects.get(pk=rating_id).comment == ""


def test_the_api_rate_action_takes_the_same(django_capture_on_commit_callbacks):
    ticket, _agent = resolved_case()
    api = APIClient()
    api.force_authenticate(ticket.customer)
    url = f"/api/v1/tickets/{ticket.reference}/rate/"
    nothing = api.post(url, {"outcome": 5, "service": 5}, format="json")
    assert nothing.status_code == 409  # not asked yet
    services.ratings_invite()
    response = api.post(url, {"outcome": 5, "service": 4, "comment": "Fine"}, format="json")
    assert response.status_code == 200
    assert response.json()["outcome"] == 5 and response.json()["rated_outcome"] == "explanation"
    bad = api.post(url, {"outcome": 9, "service": 4}, format="json")
    assert bad.status_code == 400 and "outcome" in bad.json()
    stranger = APIClient()
    stranger.force_authenticate(CustomerFactory())
    assert stranger.post(url, {"outcome": 1, "service": 1}, format="json").status_code == 404


def test_the_case_page_asks_its_customer_to_rate(client):
    ticket, _agent = resolved_case()
    client.force_login(ticket.customer)
    page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert 'id="rating"' not in page  # not asked yet
    services.ratings_invite()
    page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert 'id="rating"' in page and "How did we do?" in page
    response = client.post(
        reverse("reports:rate", args=[ticket.reference]),
        {"rating-outcome": "5", "rating-service": "5"},
        follow=True,
    )
    assert "Thank you for your rating." in response.content.decode()
    assert Rating.objects.get(ticket=ticket).outcome_score == 5


def test_a_low_score_alerts_the_teams_lead_once(django_capture_on_commit_callbacks):
    ticket, agent = resolved_case()
    lead = AgentFactory()
    Team.objects.get(pk=ticket.team_id).leads.add(lead)
    (rating_id,) = services.ratings_invite()
    rating = Rating.objects.get(pk=rating_id)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.rating_submit(
            rating=rating, customer=ticket.customer, outcome_score=2, service_score=4,
            comment="Too slow.",
        )  # fmt: skip
    (alert,) = mail.outbox
    assert alert.to == [lead.email] and ticket.reference in alert.subject
    assert "Too slow." in alert.body and agent.display_name in alert.body
    with django_capture_on_commit_callbacks(execute=True):
        services.rating_submit(
            rating=rating, customer=ticket.customer, outcome_score=1, service_score=4
        )
    assert len(mail.outbox) == 1  # still low: no second alert


def test_a_rating_reaches_the_satisfaction_report():
    from reports import catalogue
    from reports.query import ReportFilters
    from reports.selectors import Scope

    ticket, _agent = resolved_case()
    (rating_id,) = services.ratings_invite()
    services.rating_submit(
        rating=Rating.objects.get(pk=rating_id),
        customer=ticket.customer,
        outcome_score=4,
        service_score=2,
    )
    rollup.fold()
    today = timezone.localdate()
    result = catalogue.build("satisfaction", ReportFilters(today, today), Scope(None))
    assert {str(f.label): f.value for f in result.summary}["Service, average"] == 2


def _rated_chat(agent=None, *, outcome, service, category=None):
    chat = active(agent=agent, category=category) if agent else start(category=category)
    chats.chat_end(chat=chat, actor=chat.customer)
    chats.chat_rate(chat=chat, actor=chat.customer, outcome=outcome, service=service)
    if agent:  # away, so that the next chat goes to the next agent
        chats.chat_availability_set(agent=agent, available=False)
    return chat


def test_chat_ratings_reach_the_satisfaction_report_scoped_to_the_agents_teams():
    ours = Team.objects.create(code="ours", name="Ours")
    theirs = Team.objects.create(code="theirs", name="Theirs")
    mine = available_agent(teams=["ours"])
    _rated_chat(mine, outcome=5, service=4, category="withdrawal-not-received")
    other = available_agent(teams=["theirs"])
    _rated_chat(other, outcome=1, service=2)
    _rated_chat(outcome=3, service=3)  # the bot alone answered: no agent, no team
    today = timezone.localdate()

    def chat_figures(scope, **filters):
        result = catalogue.REPORTS["satisfaction"].build(
            catalogue.Context(ReportFilters(today, today, **filters), scope)
        )
        figures = {str(f.label): f.value for f in result.summary}
        tables = {t.key: t for t in result.tables}
        return figures, tables.get("chats"), [str(n) for n in result.notes]

    figures, table, notes = chat_figures(Scope(None))
    assert figures["Live-chat ratings"] == 3
    assert figures["Live chat, service average"] == 3
    assert [(r["ratings"], r["outcome"], r["service"], r["low"]) for r in table.rows] == [
        (3, 3.0, 3.0, 33.3)
    ]
    assert not notes

    # A team lead reads the chats their teams' agents answered, and nothing of the others.
    figures, table, _notes = chat_figures(Scope(frozenset({ours.pk})))
    assert figures["Live-chat ratings"] == 1
    assert table.rows[0]["outcome"] == 5
    figures, _table, _notes = chat_figures(Scope(frozenset({ours.pk})), team=(theirs.pk,))
    assert figures["Live-chat ratings"] == 0

    withdrawal = category("withdrawal-not-received").pk
    figures, _table, _notes = chat_figures(Scope(None), category=(withdrawal,))
    assert figures["Live-chat ratings"] == 1

    # A chat has no tier: under a tier filter its ratings are left out, and the page says so.
    figures, table, notes = chat_figures(Scope(None), tier=("support",))
    assert table is None and "Live-chat ratings" not in figures
    assert any("Live-chat ratings are left out" in note for note in notes)
    assert chat_figures(Scope(None), channel=("chat",))[0]["Live-chat ratings"] == 3


def test_the_chat_ratings_range_reads_its_index():
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as queries:
        reports_chats.rating_scores(today, today, categories=(), teams=None, period=str)
    with connection.cursor() as cursor:
        # Without the sequential walk the planner may choose on an empty table, the range
        # must be one the index serves (no function of created_at in the condition).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + queries[-1]["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "chat_rating_created" in plan, plan
