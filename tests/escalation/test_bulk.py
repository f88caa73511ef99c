"""bulk_set writes exactly what bulk_update would, in one statement on PostgreSQL."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalation.bulk import bulk_set
from tests.factories import AgentFactory, TicketFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_every_field_of_every_row_is_written_in_one_statement():
    tickets = [TicketFactory() for _ in range(3)]
    agent = AgentFactory()
    due = timezone.now() + timedelta(hours=5)
    for number, ticket in enumerate(tickets):
        ticket.tier = "appeal_center"
        ticket.assignee = agent if number else None
        ticket.escalation_due_at = due + timedelta(minutes=number)
        ticket.sla_breached = ["first_response", f"n{number}"]
    untouched = TicketFactory()
    with CaptureQueriesContext(connection) as queries:
        bulk_set(tickets, ["tier", "assignee", "escalation_due_at", "sla_breached"])
    if connection.vendor == "postgresql":
        assert len([q for q in queries if q["sql"].startswith("UPDATE")]) == 1
    for number, ticket in enumerate(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("pk")
    ):
        assert ticket.tier == "appeal_center"
        assert ticket.assignee_id == (agent.pk if number else None)
        assert ticket.escalation_due_at == due + timedelta(minutes=number)
        assert ticket.sla_breached == ["first_response", f"n{number}"]
    untouched.refresh_from_db()
    assert untouched.tier == "support" and untouched.escalation_due_at is None


def test_quotes_in_values_are_data_not_sql():
    ticket = TicketFactory()
    ticket.sla_warned = ["x'); DROP TABLE tickets_ticket; --"]
    bulk_set([ticket], ["sla_warned"])
    ticket.refresh_from_db()
    assert ticket.sla_warned == ["x'); DROP TABLE tickets_ticket; --"]


def test_rows_go_in_as_one_insert_with_json_and_ids_as_given():
    from escalation.bulk import insert_rows
    from tickets.models import TicketEvent

    ticket = TicketFactory()
    when = timezone.now() - timedelta(minutes=5)
    fields = ["ticket", "actor", "kind", "from_tier", "to_tier", "data", "created_at"]
    fields += ["from_status", "to_status", "internal"]
    rows = [
        (
            ticket.pk,
            None,
            "tier",
            "support",
            "appeal_center",
            {"targets": ["a'b"]},
            when,
            "",
            "",
            False,
        ),
        (ticket.pk, None, "sla", "", "", {}, when, "", "", False),
    ]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(TicketEvent, fields, rows)
    if connection.vendor == "postgresql":
        assert len([q for q in queries if q["sql"].startswith("INSERT")]) == 1
    tier, sla = ticket.events.filter(kind__in=["tier", "sla"]).order_by("id")
    assert (tier.from_tier, tier.to_tier, tier.data) == ("support", "appeal_center", rows[0][5])
    assert tier.actor_id is None and sla.data == {}
    if connection.vendor == "postgresql":  # bulk_create, elsewhere, stamps auto_now_add itself
        assert tier.created_at == when
    with pytest.raises(ValueError, match="internal"):
        insert_rows(TicketEvent, fields[:-1], [row[:-1] for row in rows])


def test_update_rows_sets_values_by_primary_key_and_nothing_else():
    from escalation.bulk import update_rows

    first, second, untouched = TicketFactory(), TicketFactory(), TicketFactory()
    due = timezone.now() + timedelta(hours=3)
    update_rows(
        Ticket,
        ["tier", "assignee", "escalation_due_at", "sla_warned"],
        [(first.pk, "appeal_center", None, due, []), (second.pk, "support", None, None, ["x"])],
    )
    first.refresh_from_db(), second.refresh_from_db(), untouched.refresh_from_db()
    assert (first.tier, first.escalation_due_at, first.sla_warned) == ("appeal_center", due, [])
    assert (second.escalation_due_at, second.sla_warned) == (None, ["x"])
    assert untouched.tier == "support"


def test_any_text_survives_the_array_literal_and_the_statement_does_not_grow_with_rows():
    from escalation.bulk import insert_rows
    from tickets.models import TicketEvent

    ticket = TicketFactory()
    awkward = ['a"b', "back\\slash", "{brace},comma", "NULL", "", "  spaced  ", "换行\nline", "%s"]
    when = timezone.now()
    fields = ["ticket", "actor", "kind", "from_status", "to_status", "from_tier", "to_tier"]
    fields += ["data", "internal", "created_at"]
    rows = [
        (ticket.pk, None, "note", text, "", "", "", {"text": text, "n": None}, True, when)
        for text in awkward
    ]
    with CaptureQueriesContext(connection) as one:
        insert_rows(TicketEvent, fields, rows[:1])
    with CaptureQueriesContext(connection) as many:
        insert_rows(TicketEvent, fields, rows)
    stored = list(
        ticket.events.filter(kind="note").order_by("id").values_list("from_status", "data")
    )
    assert stored[1:] == [(text, {"text": text, "n": None}) for text in awkward]
    if connection.vendor == "postgresql":
        # The values travel as parameters: the SQL Django sends is the same for 1 or 8 rows.
        assert (
            one.captured_queries[0]["sql"].split(" SELECT ")[0]
            == (many.captured_queries[0]["sql"].split(" SELECT ")[0])
        )
