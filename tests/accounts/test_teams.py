"""Team leads: the teams a staff member leads, and their addresses for alerts."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import Team
from accounts.teams import is_team_lead, lead_emails, led_team_ids
from tests.factories import AgentFactory, CustomerFactory, TicketFactory, login_verified

pytestmark = pytest.mark.django_db


def test_a_lead_leads_the_teams_listing_them_and_no_other():
    funding, trading = Team.objects.get(code="funding"), Team.objects.get(code="trading")
    lead = AgentFactory()
    funding.leads.add(lead)
    assert led_team_ids(lead) == {funding.pk}
    assert is_team_lead(lead) and is_team_lead(lead, funding.pk)
    assert not is_team_lead(lead, trading.pk)
    assert not is_team_lead(AgentFactory())


def test_customers_and_former_staff_lead_nothing():
    funding = Team.objects.get(code="funding")
    customer, former = CustomerFactory(), AgentFactory(is_active=False)
    funding.leads.add(customer, former)
    assert led_team_ids(customer) == set() and led_team_ids(former) == set()


def test_lead_emails_are_each_teams_active_leads():
    funding, trading = Team.objects.get(code="funding"), Team.objects.get(code="trading")
    first, second, away = AgentFactory(email="b@x.io"), AgentFactory(email="a@x.io"), AgentFactory()
    away.is_active = False
    away.save()
    funding.leads.add(first, second, away)
    assert lead_emails([funding.pk, trading.pk, None]) == {
        funding.pk: ["a@x.io", "b@x.io"],
        trading.pk: [],
    }


def test_a_team_is_named_in_the_pages_language_and_recorded_in_english():
    funding = Team.objects.get(code="funding")
    with translation.override("zh-hans"):
        assert str(funding) == funding.label == "充值与提现"
    with translation.override("en"):
        assert str(funding) == "Deposits and Withdrawals"
    # A team an admin named only in English reads in English on a Chinese page too.
    new = Team.objects.create(code="otc", name="OTC Desk")
    with translation.override("zh-hans"):
        assert new.label == "OTC Desk"


def test_the_workbench_names_the_team_in_chinese_on_a_chinese_page(client):
    agent = AgentFactory()
    ticket = TicketFactory(team=Team.objects.get(code="funding"))
    ticket.team.members.add(agent)
    login_verified(client, agent)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("staff:ticket", args=[ticket.reference])).content.decode()
    assert "充值与提现" in page and "Deposits and Withdrawals" not in page
