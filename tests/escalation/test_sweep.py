"""The sweep on the real database: escalates once per breach, whoever runs it and how often."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from escalation import services as lifecycle
from escalation import sweep
from sla.models import Outcome, SLARecord
from tests.factories import AgentFactory, filed_cases
from tickets import services
from tickets.models import EventKind, Ticket, TicketEvent, Tier

pytestmark = pytest.mark.django_db


def later(hours: float):
    return timezone.now() + timedelta(hours=hours)


def test_nothing_due_means_nothing_done():
    filed_cases(3)
    assert not sweep.sweep(now=later(1))
    assert not TicketEvent.objects.filter(kind=EventKind.TIER).exists()


def test_exactly_at_the_deadline_it_escalates_one_second_before_it_does_not(
    django_capture_on_commit_callbacks,
):
    (ticket,) = filed_cases(1)
    due = ticket.escalation_due_at
    assert not sweep.sweep(now=due - timedelta(seconds=1)).escalated
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep.sweep(now=due)
    assert result.escalated == [ticket.pk]
    ticket.refresh_from_db()
    assert ticket.tier == Tier.APPEAL_CENTER and ticket.status == "open"
    assert ticket.sla_policy.tier == Tier.APPEAL_CENTER
    assert ticket.first_response_due_at == due + timedelta(hours=48)  # the new tier's policy
    event = ticket.events.get(kind=EventKind.TIER)
    assert (event.from_tier, event.to_tier, event.data["reason"]) == (
        "support",
        "appeal_center",
        "sla_breach",
    )
    assert SLARecord.objects.get(ticket=ticket, outcome=Outcome.BREACHED).target == "first_response"
    (sent,) = [m for m in mail.outbox if "moved" in m.subject]
    assert ticket.reference in sent.subject and sent.to == [ticket.customer.email]


def test_a_second_sweep_finds_nothing_left():
    filed_cases(4)
    moment = later(49)
    assert len(sweep.sweep(now=moment).escalated) == 4
    assert not sweep.sweep(now=moment)
    assert TicketEvent.objects.filter(kind=EventKind.TIER).count() == 4


def test_batches_are_bounded_and_the_sweep_takes_them_all():
    filed_cases(7)
    book = sweep.clock.PolicyBook.load()
    first = sweep.escalate_batch(now=later(49), book=book, batch_size=3)
    assert len(first.escalated) == 3
    assert len(sweep.sweep(now=later(49), batch_size=3).escalated) == 4


def test_a_full_batch_asks_for_helpers_once():
    filed_cases(7)
    asked = []
    result = sweep.sweep(now=later(49), batch_size=3, on_backlog=lambda: asked.append(True))
    assert len(result.escalated) == 7 and asked == [True]


def test_a_batch_that_is_not_full_asks_for_none():
    filed_cases(2)
    asked = []
    result = sweep.sweep(now=later(49), batch_size=3, on_backlog=lambda: asked.append(True))
    assert len(result.escalated) == 2 and asked == []


def test_the_beat_sweep_with_a_backlog_sends_a_helper_that_expires_before_the_next_beat(
    settings, monkeypatch
):
    from escalation import tasks

    settings.REDRESS_SLA_SWEEP_BATCH, settings.REDRESS_SLA_SWEEP_HELPERS = 2, 2
    sent = []
    monkeypatch.setattr(tasks.sla_sweep_help, "apply_async", lambda **kw: sent.append(kw))
    filed_cases(5)
    with time_machine.travel(later(49)):
        assert tasks.sla_sweep()["escalated"] == 5
    assert sent == [{"retry": False, "expires": settings.SLA_SWEEP_INTERVAL * 0.9}] * 2


def test_helpers_share_the_batches_and_escalate_each_case_once(settings):
    from escalation import tasks

    # Eager here: the helper sweeps inside the first one, between its batches.
    settings.REDRESS_SLA_SWEEP_BATCH = 2
    filed_cases(5)
    with time_machine.travel(later(49)):
        assert tasks.sla_sweep()["escalated"] == 2  # its first batch; the helper took the rest
    assert TicketEvent.objects.filter(kind=EventKind.TIER).count() == 5
    assert not Ticket.objects.filter(tier=Tier.SUPPORT).exists()


def test_with_the_broker_away_the_sweep_goes_on_alone(settings, monkeypatch, caplog):
    from kombu.exceptions import OperationalError

    from escalation import tasks

    def away(**kw):
        raise OperationalError("connection refused")

    settings.REDRESS_SLA_SWEEP_BATCH = 2
    monkeypatch.setattr(tasks.sla_sweep_help, "apply_async", away)
    filed_cases(5)
    with time_machine.travel(later(49)):
        assert tasks.sla_sweep()["escalated"] == 5
    assert "no helper asked for" in caplog.text


def test_paused_and_answered_tickets_are_not_swept():
    waiting, answered = filed_cases(2)
    agent = AgentFactory()
    services.ticket_request_info(ticket=waiting, actor=agent, body="Which document?")
    services.ticket_add_message(ticket=answered, author=agent, body="On it.")
    result = sweep.sweep(now=later(49))
    assert result.escalated == []


def test_a_breach_at_the_committee_alerts_admins_once(django_capture_on_commit_callbacks, settings):
    (ticket,) = filed_cases(1)
    AgentFactory(role="admin", email="boss@example.com")
    moment = later(49)
    sweep.sweep(now=moment)  # -> appeal center
    moment += timedelta(hours=49)
    sweep.sweep(now=moment)  # -> dispute committee
    ticket.refresh_from_db()
    assert ticket.tier == Tier.DISPUTE_COMMITTEE
    moment += timedelta(hours=73)
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep.sweep(now=moment)
    assert result.alerted == [ticket.pk]
    ticket.refresh_from_db()
    assert ticket.tier == Tier.DISPUTE_COMMITTEE
    assert any("boss@example.com" in m.to and ticket.reference in m.subject for m in mail.outbox)
    assert not sweep.sweep(now=moment + timedelta(minutes=1)).alerted


def test_warnings_go_once_per_target_to_the_team(django_capture_on_commit_callbacks):
    (ticket,) = filed_cases(1)
    member = AgentFactory(email="funding@example.com")
    ticket.team.members.add(member)
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep.sweep(now=later(37))
    assert result.warned == [ticket.pk] and result.escalated == []
    assert any(
        m.to == ["funding@example.com"] and ticket.reference in m.subject for m in mail.outbox
    )
    assert SLARecord.objects.get(ticket=ticket, outcome=Outcome.WARNED).target == "first_response"
    assert not sweep.sweep(now=later(38)).warned


def test_the_command_runs_one_sweep(capsys):
    filed_cases(2)
    Ticket.objects.update(escalation_due_at=timezone.now() - timedelta(seconds=1))
    call_command("sla_sweep")
    assert "escalated 2" in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweepers_never_escalate_twice():
    filed_cases(60)
    moment = later(49)
    barrier = threading.Barrier(4)
    escalated: list[int] = []

    def run():
        try:
            barrier.wait()
            escalated.extend(sweep.sweep(now=moment, batch_size=5).escalated)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(escalated) == sorted(Ticket.objects.values_list("pk", flat=True))
    assert TicketEvent.objects.filter(kind=EventKind.TIER).count() == 60
    assert set(Ticket.objects.values_list("tier", flat=True)) == {Tier.APPEAL_CENTER}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sweeper_that_dies_mid_batch_loses_nothing(monkeypatch):
    filed_cases(10)
    moment = later(49)

    class Crash(Exception):
        pass

    def crash(*args, **kwargs):
        raise Crash

    # The batch dies after its tickets were changed, before their events are written.
    with monkeypatch.context() as patch:
        patch.setattr(sweep, "insert_rows", crash)
        with pytest.raises(Crash):
            sweep.sweep(now=moment, batch_size=4)
    assert not TicketEvent.objects.filter(kind=EventKind.TIER).exists()
    assert len(sweep.sweep(now=moment).escalated) == 10


def test_the_sweep_moves_a_case_as_a_person_escalating_it_would():
    # The sweep writes rows, not model instances; the clock it starts must be the same.
    by_hand, by_sweep = filed_cases(2)
    agent = AgentFactory()
    services.ticket_claim(ticket=by_hand, actor=agent)
    with time_machine.travel(later(49), tick=False):
        lifecycle.ticket_escalate(ticket=by_hand, actor=agent, reason="Large loss.")
        assert sweep.sweep(now=timezone.now()).escalated == [by_sweep.pk]
    by_hand.refresh_from_db(), by_sweep.refresh_from_db()
    fields = ["tier", "status", "assignee_id", *sweep.clock.START_FIELDS]
    fields = [Ticket._meta.get_field(name).attname for name in fields]
    assert {f: getattr(by_sweep, f) for f in fields} == {f: getattr(by_hand, f) for f in fields}
    assert by_sweep.escalation_due_at > by_sweep.sla_started_at
    assert by_sweep.last_breach_at == by_sweep.sla_started_at and by_hand.last_breach_at is None


def test_a_deadline_left_on_a_case_that_is_over_is_cleared_not_escalated():
    closed, running = filed_cases(2)
    # Written outside the services (a data fix, the admin): the clock no longer runs.
    Ticket.objects.filter(pk=closed.pk).update(status="closed")
    result = sweep.sweep(now=later(49))
    assert result.cleared == [closed.pk] and result.escalated == [running.pk]
    closed.refresh_from_db()
    assert closed.status == "closed" and closed.tier == Tier.SUPPORT
    assert closed.escalation_due_at is None
    assert not closed.events.filter(kind=EventKind.TIER).exists()
