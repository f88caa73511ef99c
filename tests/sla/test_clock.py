"""The clock through the services that move it: start, meet, pause and resume, per policy."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from sla.models import Outcome, SLAPolicy, SLARecord, Target
from tests.factories import AgentFactory, CustomerFactory, category
from tickets import services

pytestmark = pytest.mark.django_db

START = "2026-11-20 12:00:00Z"


def file_kyc(customer=None):
    customer = customer or CustomerFactory()
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("kyc"),
        subject="KYC stuck",
        description="Under review for two weeks.",
        fields={},
    )


@time_machine.travel(START, tick=False)
def test_filing_starts_the_most_specific_policy():
    ticket = file_kyc()
    assert ticket.sla_policy.name == "Support: default"
    assert ticket.first_response_due_at == timezone.now() + timedelta(hours=48)
    assert ticket.resolution_due_at == timezone.now() + timedelta(days=10)
    assert ticket.escalation_due_at == ticket.first_response_due_at
    assert ticket.sla_warning_at == timezone.now() + timedelta(hours=36)  # 75 % of 48 h

    customer = CustomerFactory()
    hacked = services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("compromised-account"),
        subject="Hacked",
        description="Someone took my BTC.",
        fields={"occurred_at": "2026-11-20 01:00"},
    )
    assert hacked.sla_policy.name == "Support: compromised account"
    assert hacked.first_response_due_at == timezone.now() + timedelta(hours=2)


def test_an_admin_change_to_a_policy_applies_to_new_tickets():
    SLAPolicy.objects.filter(name="Support: default").update(
        first_response_target=timedelta(hours=6)
    )
    ticket = file_kyc()
    assert ticket.first_response_due_at - ticket.sla_started_at == timedelta(hours=6)


def test_first_staff_reply_meets_the_first_response_target():
    ticket = file_kyc()
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        services.ticket_add_message(ticket=ticket, author=AgentFactory(), body="Looking at it.")
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.escalation_due_at == ticket.resolution_due_at
    record = SLARecord.objects.get(ticket=ticket)
    assert (record.target, record.outcome) == (Target.FIRST_RESPONSE, Outcome.MET)


def test_an_internal_note_is_not_a_reply():
    ticket = file_kyc()
    services.ticket_add_message(ticket=ticket, author=AgentFactory(), body="note", internal=True)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    assert ticket.escalation_due_at == ticket.first_response_due_at


@time_machine.travel(START, tick=False)
def test_a_customer_message_opens_a_next_response_target_that_a_reply_meets():
    ticket = file_kyc()
    agent = AgentFactory()
    services.ticket_add_message(ticket=ticket, author=agent, body="We are on it.")
    with time_machine.travel("2026-11-20 14:00:00Z", tick=False):
        services.ticket_add_message(ticket=ticket, author=ticket.customer, body="Any news?")
    ticket.refresh_from_db()
    assert ticket.next_response_due_at == timezone.now() + timedelta(hours=2 + 48)
    assert ticket.escalation_due_at == ticket.next_response_due_at
    with time_machine.travel("2026-11-20 15:00:00Z", tick=False):
        services.ticket_add_message(ticket=ticket, author=ticket.customer, body="Hello?")
    ticket.refresh_from_db()
    # a second message does not push the promise back
    assert ticket.next_response_due_at == timezone.now() + timedelta(hours=50)
    services.ticket_add_message(ticket=ticket, author=agent, body="Done.")
    ticket.refresh_from_db()
    assert ticket.next_response_due_at is None
    assert (
        SLARecord.objects.filter(
            ticket=ticket, target=Target.NEXT_RESPONSE, outcome=Outcome.MET
        ).count()
        == 1
    )


def test_waiting_on_the_customer_pauses_the_clock_and_credits_the_pause():
    with time_machine.travel(START, tick=False):
        ticket = file_kyc()
        agent = AgentFactory()
        services.ticket_triage(ticket=ticket, actor=agent)
        resolution_due = ticket.resolution_due_at
    with time_machine.travel("2026-11-20 13:00:00Z", tick=False):
        services.ticket_request_info(ticket=ticket, actor=agent, body="Which document?")
    ticket.refresh_from_db()
    assert ticket.sla_paused_at is not None
    assert ticket.escalation_due_at is None and ticket.sla_warning_at is None
    with time_machine.travel("2026-11-21 13:00:00Z", tick=False):
        services.ticket_add_message(ticket=ticket, author=ticket.customer, body="My passport.")
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.sla_paused_at is None
    # the 24 hours the customer took are credited to every running deadline
    assert ticket.resolution_due_at == resolution_due + timedelta(hours=24)
    assert ticket.next_response_due_at is not None
    assert ticket.escalation_due_at == ticket.next_response_due_at
    # ...and to the warnings: each comes when the last (100 - percent) % of its target
    # remains, not at a percentage of a span that includes the pause (24/7 policy here).
    policy = ticket.sla_policy
    assert policy.calendar_id is None
    left = (100 - policy.warning_percent) / 100
    assert ticket.sla_warning_at == min(
        ticket.resolution_due_at - policy.resolution_target * left,
        ticket.next_response_due_at - policy.next_response_target * left,
    )
