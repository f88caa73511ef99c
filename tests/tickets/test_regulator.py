"""The regulator's clock: a final-decision deadline on every case, stopped by a final outcome.

MiCA's complaints rules: decide within two months (REDRESS_FINAL_DECISION_DAYS, or the
category's own), or tell the customer why and when (a delay notice).
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from escalation import services as lifecycle
from escalation import sweep
from outbox import relay as outbox
from tests.factories import AgentFactory, CustomerFactory, UserFactory, category, committee_decides
from tickets import services
from tickets.exceptions import InvalidTransition, NotAllowed
from tickets.models import DelayNotice, EventKind, Ticket

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def filed(code="kyc", customer=None):
    customer = customer or CustomerFactory()
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category(code),
        subject="KYC refused",
        description="My verification was refused without a reason.",
        fields={},
    )


def reload(ticket):
    ticket.refresh_from_db()
    return ticket


def propose(ticket, agent):
    services.ticket_propose_resolution(
        ticket=ticket, actor=agent, kind="explanation", summary="Your selfie was blurred."
    )


@time_machine.travel(START, tick=False)
def test_a_new_case_is_due_for_its_final_decision_two_months_after_filing():
    ticket = filed()
    assert ticket.final_decision_due_at == START + timedelta(days=60)
    assert ticket.final_decision_warning_at == START + timedelta(days=50)
    assert ticket.final_decision_at is None
    assert ticket.events.get(kind="filed").data["final_decision_due_at"] == (
        (START + timedelta(days=60)).isoformat()
    )


@time_machine.travel(START, tick=False)
def test_the_setting_and_a_categorys_own_days_set_the_deadline(settings):
    settings.REDRESS_FINAL_DECISION_DAYS = 30
    assert filed().final_decision_due_at == START + timedelta(days=30)
    other = category("other")
    other.final_decision_days = 15
    other.save()
    assert filed("other").final_decision_due_at == START + timedelta(days=15)


def test_waiting_on_the_customer_does_not_move_the_deadline_by_default():
    with time_machine.travel(START, tick=False):
        ticket, agent = filed(), AgentFactory()
        services.ticket_request_info(ticket=ticket, actor=agent, body="Your UID, please.")
    with time_machine.travel(START + timedelta(days=5), tick=False):
        services.ticket_add_message(ticket=ticket, author=ticket.customer, body="It is 123.")
    assert reload(ticket).final_decision_due_at == START + timedelta(days=60)


def test_a_categorys_rule_adds_the_wait_for_the_customers_answer():
    kyc = category("kyc")
    kyc.final_decision_pauses = True
    kyc.save()
    with time_machine.travel(START, tick=False):
        ticket, agent = filed(), AgentFactory()
    with time_machine.travel(START + timedelta(days=1), tick=False):
        services.ticket_request_info(ticket=ticket, actor=agent, body="Your UID, please.")
    with time_machine.travel(START + timedelta(days=6), tick=False):
        services.ticket_add_message(ticket=ticket, author=ticket.customer, body="It is 123.")
        # A second message while nothing is asked adds nothing.
        services.ticket_add_message(ticket=ticket, author=ticket.customer, body="Any news?")
    ticket = reload(ticket)
    assert ticket.final_decision_due_at == START + timedelta(days=65)
    assert ticket.final_decision_warning_at == START + timedelta(days=55)


def test_an_accepted_resolution_stops_the_clock():
    with time_machine.travel(START, tick=False):
        ticket = filed()
        propose(ticket, AgentFactory())
    with time_machine.travel(START + timedelta(days=3), tick=False):
        lifecycle.resolution_accept(ticket=ticket, actor=ticket.customer)
    ticket = reload(ticket)
    assert ticket.final_decision_at == START + timedelta(days=3)
    assert ticket.final_decision_warning_at is None and not ticket.past_final_decision


def test_an_unanswered_proposal_accepted_by_the_sweep_stops_the_clock(settings):
    with time_machine.travel(START, tick=False):
        ticket = filed()
        propose(ticket, AgentFactory())
    later = START + timedelta(days=settings.REDRESS_ACCEPT_AFTER_DAYS, minutes=1)
    with time_machine.travel(later, tick=False):
        sweep.sweep(now=later)
    assert reload(ticket).final_decision_at == later


def test_a_rejection_stops_the_clock_and_an_appeal_in_time_starts_it_again():
    with time_machine.travel(START, tick=False):
        ticket = filed()
        services.ticket_reject(ticket=ticket, actor=AgentFactory(), reason="Not our service.")
    assert reload(ticket).final_decision_at == START
    assert ticket.final_decision_warning_at is None
    with time_machine.travel(START + timedelta(days=4), tick=False):
        lifecycle.appeal_file(ticket=ticket, customer=ticket.customer, reason="It is.")
    ticket = reload(ticket)
    assert ticket.final_decision_at is None
    # The same deadline, counted from filing; its warning is due again.
    assert ticket.final_decision_due_at == START + timedelta(days=60)
    assert ticket.final_decision_warning_at == START + timedelta(days=50)


def test_a_rejection_not_appealed_in_time_is_the_final_decision(settings):
    with time_machine.travel(START, tick=False):
        ticket = filed()
        services.ticket_reject(ticket=ticket, actor=AgentFactory(), reason="Not our service.")
    later = START + timedelta(days=settings.REDRESS_APPEAL_WINDOW_DAYS, minutes=1)
    sweep.sweep(now=later)
    ticket = reload(ticket)
    assert ticket.status == "closed" and ticket.final_decision_at == START


def test_the_committees_decision_stops_the_clock():
    members = [UserFactory(role="committee", is_staff=True) for _ in range(3)]
    with time_machine.travel(START, tick=False):
        ticket = filed()
        services.ticket_reject(ticket=ticket, actor=AgentFactory(), reason="Not our service.")
        lifecycle.appeal_file(ticket=ticket, customer=ticket.customer, reason="It is.")
        officer = UserFactory(role="appeal_officer", is_staff=True)
        services.ticket_reject(ticket=reload(ticket), actor=officer, reason="Still no.")
        lifecycle.appeal_file(ticket=ticket, customer=ticket.customer, reason="Committee!")
    assert reload(ticket).final_decision_at is None
    panel = lifecycle.panel_draw(ticket=ticket)
    assert {seat.member_id for seat in panel.seats.all()} == {m.pk for m in members}
    decided = START + timedelta(days=20)
    with time_machine.travel(decided, tick=False):
        committee_decides(ticket, members, "overturn", "r", "Pay.")
    ticket = reload(ticket)
    assert ticket.status == "closed" and ticket.final_decision_at == decided


def test_a_merged_duplicate_stops_its_own_clock():
    customer, agent = CustomerFactory(), AgentFactory()
    first, second = filed(customer=customer), filed(customer=customer)
    services.ticket_merge(ticket=second, actor=agent, into=first)
    assert reload(second).final_decision_at is not None
    assert reload(first).final_decision_at is None


def test_the_sweep_warns_the_assignee_and_the_lead_once_before_the_deadline():
    with time_machine.travel(START, tick=False):
        ticket, agent, lead = filed(), AgentFactory(), AgentFactory()
        services.ticket_claim(ticket=ticket, actor=agent)
        ticket.team.leads.add(lead)
    mail.outbox.clear()

    def warn(now):
        # The warning batch alone: the SLA's own escalations would reassign the case.
        warned = sweep.decision_warning_batch(now=now).decision_warned
        outbox.relay()
        return warned

    assert not warn(START + timedelta(days=49))
    warned_at = START + timedelta(days=50, minutes=1)
    assert warn(warned_at) == [ticket.pk]
    # One mail to each, in their own language (mail.events.decision_due).
    messages = [m for m in mail.outbox if "Final decision due soon" in m.subject]
    assert sorted(m.to[0] for m in messages) == sorted([agent.email, lead.email])
    assert all(ticket.reference in m.body for m in messages)
    assert reload(ticket).final_decision_warning_at is None
    assert ticket.events.filter(kind=EventKind.DECISION_WARNING, internal=True).count() == 1
    # Once per case: a second sweep, and an appeal after a rejection, warn no more.
    assert not warn(warned_at + timedelta(minutes=1))
    with time_machine.travel(warned_at + timedelta(minutes=2), tick=False):
        services.ticket_reject(ticket=ticket, actor=agent, reason="No.")
        lifecycle.appeal_file(ticket=ticket, customer=ticket.customer, reason="Yes.")
    assert reload(ticket).final_decision_warning_at is None


def test_a_case_decided_before_its_warning_is_never_warned():
    with time_machine.travel(START, tick=False):
        ticket = filed()
        services.ticket_reject(ticket=ticket, actor=AgentFactory(), reason="No.")
    assert not sweep.sweep(now=START + timedelta(days=51)).decision_warned


def test_staff_record_a_delay_notice_and_the_customer_is_told_in_their_language(
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(START, tick=False), django_capture_on_commit_callbacks(execute=True):
        ticket = filed()
        profile = ticket.customer.customer_profile
        profile.preferred_language = "zh-hans"
        profile.save()
        mail.outbox.clear()
        notice = services.ticket_record_delay_notice(
            ticket=ticket,
            actor=AgentFactory(),
            reason="We wait for the blockchain analytics report.",
            expected_by=date(2026, 5, 15),
        )
    assert DelayNotice.objects.get() == notice
    event = ticket.events.get(kind=EventKind.DELAY_NOTICE)
    assert not event.internal and event.data["expected_by"] == "2026-05-15"
    (message,) = [m for m in mail.outbox if "analytics report" in m.body]
    assert message.to == [ticket.customer.email]
    assert "您的投诉" in message.body  # in the customer's language
    # The regulator's deadline stays where it was.
    assert reload(ticket).final_decision_due_at == START + timedelta(days=60)


@time_machine.travel(START, tick=False)
def test_a_delay_notice_needs_a_reason_and_a_date_after_the_deadline():
    ticket, agent = filed(), AgentFactory()
    with pytest.raises(ValidationError) as refused:
        services.ticket_record_delay_notice(
            ticket=ticket, actor=agent, reason=" ", expected_by=date(2026, 4, 1)
        )
    assert set(refused.value.error_dict) == {"reason", "expected_by"}
    with pytest.raises(ValidationError, match="future"):
        services.ticket_record_delay_notice(
            ticket=ticket, actor=agent, reason="Why", expected_by=date(2026, 3, 2)
        )
    with pytest.raises(NotAllowed):
        services.ticket_record_delay_notice(
            ticket=ticket, actor=ticket.customer, reason="Why", expected_by=date(2026, 6, 1)
        )


def test_a_decided_case_takes_no_delay_notice():
    ticket, agent = filed(), AgentFactory()
    services.ticket_reject(ticket=ticket, actor=agent, reason="No.")
    with pytest.raises(InvalidTransition):
        services.ticket_record_delay_notice(
            ticket=ticket,
            actor=agent,
            reason="Why",
            expected_by=timezone.localdate() + timedelta(days=90),
        )


def test_cases_past_the_deadline_are_the_queues_own_view():
    from desk.queue import QueueFilters, queue_counts, queue_tickets

    agent = AgentFactory()
    with time_machine.travel(START, tick=False):
        late, decided = filed(), filed()
        services.ticket_reject(ticket=decided, actor=agent, reason="No.")
    with time_machine.travel(START + timedelta(days=30), tick=False):
        on_time = filed()
    now = START + timedelta(days=61)
    listed = queue_tickets(agent, QueueFilters(view="past_decision"), now)
    assert list(listed) == [late]
    assert queue_counts(agent, now)["past_decision"] == 1
    assert on_time.pk not in {t.pk for t in listed} and Ticket.objects.count() == 3


def test_the_past_deadline_view_lists_the_longest_overdue_first_page_by_page():
    from desk.queue import QueueFilters, queue_page

    agent = AgentFactory()
    cases = []
    for day in (0, 2, 4):  # filed on days 0, 2, 4: the first is the longest overdue
        with time_machine.travel(START + timedelta(days=day), tick=False):
            cases.append(filed())
    now = START + timedelta(days=70)
    filters = QueueFilters(view="past_decision")
    first = queue_page(agent, filters, size=2, now=now)
    assert first.tickets == cases[:2] and first.next_cursor
    second = queue_page(agent, filters, cursor=first.next_cursor, size=2, now=now)
    assert second.tickets == cases[2:] and second.next_cursor is None
