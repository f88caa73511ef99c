"""Canned replies: placeholders filled per case, in the customer's language, braces left alone."""

from datetime import UTC, datetime

import pytest

from desk.canned import canned_replies, render_canned
from tests.factories import CustomerFactory, TicketFactory, UserFactory
from tickets.models import CannedReply

pytestmark = pytest.mark.django_db

DUE = datetime(2026, 11, 22, 6, 54, tzinfo=UTC)


@pytest.fixture
def reply():
    return CannedReply.objects.create(
        title="Acknowledge",
        body_en="Hello {customer_name}, case {reference} gets an answer by {due}.",
        body_zh="{customer_name}，您好：案件 {reference} 将在 {due} 前答复。",
    )


def ticket_for(language="en", reference="RD-ABCD-2345", **fields):
    customer = CustomerFactory(full_name="Lin Wei")
    customer.customer_profile.preferred_language = language
    customer.customer_profile.save()
    return TicketFactory(customer=customer, reference=reference, **fields)


def test_placeholders_are_filled_in_english(reply):
    ticket = ticket_for(first_response_due_at=DUE)
    assert (
        render_canned(reply, ticket)
        == "Hello Lin Wei, case RD-ABCD-2345 gets an answer by Nov 22, 2026, 06:54 UTC."
    )


def test_a_chinese_speaking_customer_gets_the_chinese_text(reply):
    ticket = ticket_for("zh-hans", first_response_due_at=DUE)
    assert (
        render_canned(reply, ticket)
        == "Lin Wei，您好：案件 RD-ABCD-2345 将在 2026年11月22日 06:54 UTC 前答复。"
    )


def test_english_when_there_is_no_chinese_text_or_no_profile(reply):
    reply.body_zh = ""
    ticket = ticket_for("zh-hans")
    assert render_canned(reply, ticket).startswith("Hello Lin Wei")
    reply.body_zh = "中文"
    no_profile = TicketFactory(customer=UserFactory(full_name="Ada"))
    assert render_canned(reply, no_profile).startswith("Hello Ada")


def test_the_due_time_is_the_next_promise(reply):
    answered = ticket_for(
        first_response_due_at=DUE, first_responded_at=DUE, resolution_due_at=DUE.replace(day=28)
    )
    assert "Nov 28, 2026, 06:54 UTC" in render_canned(reply, answered)
    assert render_canned(reply, ticket_for(reference="RD-NONE-2345")).endswith("answer by .")


def test_braces_and_unknown_placeholders_are_left_as_written():
    reply = CannedReply.objects.create(
        title="Braces",
        body_en='Send {"uid": 1} as JSON. {customer_name.__class__} {0} {reference}',
    )
    assert render_canned(reply, ticket_for()) == (
        'Send {"uid": 1} as JSON. {customer_name.__class__} {0} RD-ABCD-2345'
    )


def test_only_active_replies_are_offered(reply):
    CannedReply.objects.create(title="Old", body_en="x", is_active=False)
    assert list(canned_replies()) == [reply]
