"""The customer's case page says what is due now, and nothing that no longer runs."""

import pytest

from escalation import services as lifecycle
from tests.factories import AgentFactory, CustomerFactory, category
from tickets import services
from tickets.case_page import time_note

pytestmark = pytest.mark.django_db


def filed():
    customer = CustomerFactory()
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("other"),
        subject="Referral bonus never paid",
        description="The bonus was promised in October.",
        fields={},
    )


def test_a_new_case_shows_its_first_reply_deadline():
    ticket = filed()
    note = time_note(ticket)
    assert note.label == "First reply due by" and note.moment == ticket.first_response_due_at


def test_a_proposal_shows_until_when_the_customer_may_answer():
    ticket = filed()
    services.ticket_propose_resolution(
        ticket=ticket, actor=AgentFactory(), kind="explanation", summary="It was paid."
    )
    ticket.refresh_from_db()
    note = time_note(ticket)
    assert note.label == "Please answer our proposal by" and note.moment == ticket.lifecycle_due_at


def test_a_closed_case_shows_when_it_closed_not_a_deadline_that_no_longer_runs():
    ticket = filed()
    services.ticket_propose_resolution(
        ticket=ticket, actor=AgentFactory(), kind="explanation", summary="It was paid."
    )
    lifecycle.resolution_accept(ticket=ticket, actor=ticket.customer)
    ticket.refresh_from_db()
    assert time_note(ticket).label == "Resolved"
    lifecycle.ticket_close_after_window(ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None or ticket.first_response_due_at is not None
    note = time_note(ticket)
    assert note.label == "Closed" and note.moment == ticket.closed_at


def test_a_closed_case_that_never_got_a_reply_shows_no_first_reply_deadline(client):
    ticket = filed()
    into = filed()
    into.customer = ticket.customer
    into.save(update_fields=["customer"])
    services.ticket_merge(ticket=ticket, actor=AgentFactory(), into=into)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None and ticket.first_response_due_at is not None
    client.force_login(ticket.customer)
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "First reply due by" not in page and 'id="first-response-due"' not in page
    assert "Closed" in page
