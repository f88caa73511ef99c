"""Committee panels drawn in sets: the draw task's and the sweep's, like the SLA batches."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalation import services as lifecycle
from escalation import sweep, tasks
from escalation.models import Panel, PanelSeat
from outbox.models import Message as OutboxMessage
from tests.factories import UserFactory, filed_cases
from tickets.models import EventKind, Message, Ticket, TicketEvent, Tier

pytestmark = pytest.mark.django_db


def committee(count=3):
    return [UserFactory(role="committee", is_staff=True) for _ in range(count)]


def at_committee(count: int, *, handled_by=None, entered_minutes_ago: float = 60):
    """Cases moved straight to the committee, as the sweep leaves them before any draw."""
    ids = [ticket.pk for ticket in filed_cases(count)]
    Ticket.objects.filter(pk__in=ids).update(
        tier=Tier.DISPUTE_COMMITTEE,
        status="open",
        assignee=handled_by,
        sla_started_at=timezone.now() - timedelta(minutes=entered_minutes_ago),
    )
    return ids


def outbox_calls(event: str) -> list:
    return [m.args[1] for m in OutboxMessage.objects.all() if m.args and m.args[0] == event]


def test_a_set_of_cases_gets_a_panel_each_in_a_constant_number_of_queries():
    members = committee(4)
    handler = members[0]
    few, many = at_committee(2), at_committee(8, handled_by=handler)
    with CaptureQueriesContext(connection) as small:
        lifecycle.panel_draw_many(ticket_ids=few)
    with CaptureQueriesContext(connection) as large:
        drawn = lifecycle.panel_draw_many(ticket_ids=many)
    assert len(large) == len(small)
    assert set(drawn) == set(many)
    for ticket_id in [*few, *many]:
        panel = Panel.objects.get(ticket_id=ticket_id)
        seated = set(panel.seats.values_list("member_id", flat=True))
        assert panel.state == Panel.State.SITTING and len(seated) == 3
        assert panel.chair_id in seated
        if ticket_id in many:
            assert handler.pk not in seated  # the assignee handled it: never on its panel
        assert TicketEvent.objects.filter(ticket_id=ticket_id, kind=EventKind.PANEL).count() == 1
    seated_panels = set(
        Panel.objects.filter(ticket_id__in=[*few, *many]).values_list("pk", flat=True)
    )
    assert sorted(outbox_calls("panel_seated")) == sorted(seated_panels)


def test_a_second_draw_changes_nothing():
    committee(3)
    ids = at_committee(3)
    tasks.draw_panels(ids)
    seats, events = PanelSeat.objects.count(), TicketEvent.objects.filter(kind="panel").count()
    messages = OutboxMessage.objects.count()
    tasks.draw_panels(ids)
    assert PanelSeat.objects.count() == seats
    assert TicketEvent.objects.filter(kind="panel").count() == events
    assert OutboxMessage.objects.count() == messages


def test_too_few_members_wait_with_one_event_and_one_admin_alert_each_until_enough():
    committee(2)
    ids = at_committee(3)
    lifecycle.panel_draw_many(ticket_ids=ids)
    lifecycle.panel_draw_many(ticket_ids=ids)  # still too few: nothing new is said
    panels = Panel.objects.filter(ticket_id__in=ids)
    assert {panel.state for panel in panels} == {Panel.State.WAITING}
    assert sorted(outbox_calls("panel_waiting")) == sorted(panel.pk for panel in panels)
    waiting = TicketEvent.objects.filter(ticket_id__in=ids, kind=EventKind.PANEL)
    assert waiting.count() == 3 and all(e.internal for e in waiting)
    assert waiting[0].data == {"state": "waiting", "independent_members": 2, "needed": 3}
    committee(1)
    sweep.sweep()  # the panel retry
    assert {panel.state for panel in panels.all()} == {Panel.State.SITTING}


def test_a_case_no_longer_at_the_committee_is_passed_over():
    committee(3)
    (moved,) = at_committee(1)
    Ticket.objects.filter(pk=moved).update(tier=Tier.APPEAL_CENTER)
    assert lifecycle.panel_draw_many(ticket_ids=[moved]) == {}
    assert not Panel.objects.exists()


def test_the_sweep_draws_for_a_committee_case_that_has_no_panel():
    committee(3)
    (lost,) = at_committee(1, entered_minutes_ago=60)
    (just_arrived,) = at_committee(1, entered_minutes_ago=1)  # its queued draw comes first
    assert sweep.panel_retry_batch(now=timezone.now()) == [lost]
    assert Panel.objects.get(ticket_id=lost).state == Panel.State.SITTING
    assert not Panel.objects.filter(ticket_id=just_arrived).exists()
    assert sweep.panel_retry_batch(now=timezone.now()) == []  # nothing left to do


def test_a_decided_committee_case_is_not_drawn_again():
    committee(3)
    (ticket_id,) = at_committee(1)
    panel = lifecycle.panel_draw_many(ticket_ids=[ticket_id])[ticket_id]
    Panel.objects.filter(pk=panel.pk).update(state=Panel.State.DECIDED)
    assert sweep.panel_retry_batch(now=timezone.now()) == []
    assert Panel.objects.filter(ticket_id=ticket_id).count() == 1


def test_members_who_wrote_on_or_acted_on_a_case_are_not_drawn_for_it():
    writer, actor, *_rest = committee(5)
    first, second = at_committee(2)
    Message.objects.create(ticket_id=first, author=writer, body="Looked at it.", from_staff=True)
    TicketEvent.objects.create(ticket_id=second, actor=actor, kind=EventKind.NOTE, internal=True)
    drawn = lifecycle.panel_draw_many(ticket_ids=[first, second])
    assert writer.pk not in set(drawn[first].seats.values_list("member_id", flat=True))
    assert actor.pk not in set(drawn[second].seats.values_list("member_id", flat=True))
