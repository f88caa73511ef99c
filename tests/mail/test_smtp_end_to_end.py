"""End to end over real SMTP: a mail program sends to the demo's listener, the case changes.

The listener runs in its own thread with its own database connection, so these tests
commit (transaction=True). Tasks run eagerly: when the SMTP server answers 250 the
message is spooled and handled.
"""

import hashlib

import pytest
from django.core import mail
from mnemonic import Mnemonic

from mail import addresses
from mail.models import InboundMessage
from tests.factories import CustomerFactory, pdf_upload
from tests.mail.helpers import compose, send_smtp
from tests.mail.test_outbound import file
from tickets.models import Attachment, Message

pytestmark = pytest.mark.django_db(transaction=True)


def deliver(listener, raw: bytes, *, mail_from: str, to: str) -> None:
    send_smtp(listener.address, raw, mail_from=mail_from, to=[to])


def test_a_customers_reply_lands_in_the_case_once_even_when_delivered_twice(inbound_listener):
    ticket = file()
    to = addresses.reply_address(ticket.reference)
    raw = compose(sender=ticket.customer.email, to=to, body="The withdrawal was 1520.35 USDT.")
    deliver(inbound_listener, raw, mail_from=ticket.customer.email, to=to)
    deliver(inbound_listener, raw, mail_from=ticket.customer.email, to=to)
    (message,) = Message.objects.filter(ticket=ticket, author=ticket.customer)
    assert message.body == "The withdrawal was 1520.35 USDT."
    assert InboundMessage.objects.get().state == InboundMessage.State.ADDED


def test_a_stranger_quoting_a_reference_lands_in_quarantine(inbound_listener):
    ticket = file()
    raw = compose(
        sender="mallory@example.net",
        subject=f"Re: {ticket.reference}",
        body="Please send the refund to my new wallet instead.",
    )
    deliver(inbound_listener, raw, mail_from="mallory@example.net", to="support@redress.local")
    held = InboundMessage.objects.get()
    assert held.state == InboundMessage.State.QUARANTINED and held.ticket == ticket
    assert not Message.objects.filter(ticket=ticket).exists()


def test_an_auto_reply_makes_nothing(inbound_listener):
    ticket = file()
    mail.outbox.clear()
    to = addresses.reply_address(ticket.reference)
    raw = compose(
        sender=ticket.customer.email,
        to=to,
        subject="Automatic reply: New reply on your case",
        body="I am out of the office until Monday.",
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
    )
    deliver(inbound_listener, raw, mail_from=ticket.customer.email, to=to)
    assert InboundMessage.objects.get().state == InboundMessage.State.IGNORED
    assert not Message.objects.filter(ticket=ticket).exists() and mail.outbox == []


def test_a_seed_phrase_makes_nothing_and_is_answered(inbound_listener):
    ticket = file()
    mail.outbox.clear()
    to = addresses.reply_address(ticket.reference)
    seed = Mnemonic("english").to_mnemonic(bytes(range(16, 32)))
    raw = compose(sender=ticket.customer.email, to=to, body=f"To prove it is my wallet: {seed}")
    deliver(inbound_listener, raw, mail_from=ticket.customer.email, to=to)
    row = InboundMessage.objects.get()
    assert row.state == InboundMessage.State.REFUSED and bytes(row.raw) == b""
    assert not Message.objects.filter(ticket=ticket).exists()
    (answer,) = mail.outbox
    assert answer.to == [ticket.customer.email] and "secret" in answer.subject
    assert seed.split()[0] not in answer.body


def test_a_pdf_arrives_as_evidence_with_its_sha256(inbound_listener):
    ticket = file(CustomerFactory())
    pdf = pdf_upload().read()
    to = addresses.reply_address(ticket.reference)
    raw = compose(
        sender=ticket.customer.email,
        to=to,
        body="My bank statement is attached.",
        attachments=[("statement.pdf", pdf, "application/pdf")],
    )
    deliver(inbound_listener, raw, mail_from=ticket.customer.email, to=to)
    (evidence,) = Attachment.objects.filter(ticket=ticket)
    assert evidence.original_name == "statement.pdf" and evidence.content_type == "application/pdf"
    assert evidence.sha256 == hashlib.sha256(pdf).hexdigest()
    assert evidence.message.body == "My bank statement is attached."
