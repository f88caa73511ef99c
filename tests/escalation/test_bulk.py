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
