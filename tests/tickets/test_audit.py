"""The audit trail is append-only, in the application and (on PostgreSQL) in the database."""

import pytest
from django.db import DatabaseError, connection, transaction

from tests.factories import AgentFactory, CustomerFactory, category, png_upload
from tickets import services
from tickets.models import EventKind, Status, TicketEvent

pytestmark = pytest.mark.django_db


def filed_ticket():
    customer = CustomerFactory()
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("kyc"),
        subject="KYC stuck",
        description="Under review for two weeks.",
        fields={},
    )


def test_every_change_writes_an_event_in_order():
    ticket = filed_ticket()
    agent = AgentFactory()
    services.ticket_triage(ticket=ticket, actor=agent)
    services.ticket_request_info(ticket=ticket, actor=agent, body="Which document did you upload?")
    services.ticket_add_message(
        ticket=ticket, author=ticket.customer, body="My passport.", files=[png_upload()]
    )
    events = list(ticket.events.values_list("kind", "from_status", "to_status"))
    assert events == [
        (EventKind.FILED, "", Status.NEW),
        (EventKind.STATUS, Status.NEW, Status.OPEN),
        (EventKind.MESSAGE, "", ""),
        (EventKind.STATUS, Status.OPEN, Status.PENDING_CUSTOMER),
        (EventKind.MESSAGE, "", ""),
        (EventKind.EVIDENCE, "", ""),
        (EventKind.STATUS, Status.PENDING_CUSTOMER, Status.OPEN),
    ]


def test_internal_notes_are_internal_events():
    ticket = filed_ticket()
    services.ticket_add_message(ticket=ticket, author=AgentFactory(), body="note", internal=True)
    assert ticket.events.get(kind=EventKind.NOTE).internal


def test_events_cannot_be_changed_or_removed_through_the_orm():
    event = filed_ticket().events.get()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        TicketEvent.objects.filter(pk=event.pk).update(kind="x")
    with pytest.raises(TypeError):
        TicketEvent.objects.all().delete()


@pytest.mark.postgres
def test_the_database_refuses_to_rewrite_history():
    event = filed_ticket().events.get()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE tickets_ticketevent SET kind = 'x' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM tickets_ticketevent WHERE id = %s", [event.pk])
    assert TicketEvent.objects.get(pk=event.pk).kind == EventKind.FILED
