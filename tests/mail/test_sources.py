"""The production sources feed the same spool: an IMAP mailbox and a provider's webhook."""

import base64
import imaplib
import json

import pytest

from mail import addresses, imap, inbound
from mail.models import InboundMessage
from tests.mail.helpers import compose
from tests.mail.test_outbound import file

pytestmark = pytest.mark.django_db


class FakeIMAP:
    """Just enough of imaplib.IMAP4 for the poll: a folder of messages with \\Seen flags."""

    mailbox: dict[bytes, bytes] = {}
    seen: set[bytes] = set()

    def __init__(self, host, port, timeout=None):
        self.address = (host, port)

    def login(self, user, password):
        assert (user, password) == ("support@redress.local", "p@ss word")

    def select(self, folder):
        assert folder == "INBOX"

    def uid(self, command, *args):
        if command == "search":
            unseen = [uid for uid in self.mailbox if uid not in self.seen]
            return "OK", [b" ".join(unseen)]
        if command == "fetch":
            uid = args[0]
            return "OK", [(b"1 (UID " + uid + b" BODY[] {n}", self.mailbox[uid]), b")"]
        if command == "store":
            self.seen.add(args[0])
            return "OK", [b""]
        raise AssertionError(command)

    def logout(self):
        return "BYE", [b""]


def test_the_beat_polls_an_imap_mailbox_into_the_spool(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    ticket = file()
    to = addresses.reply_address(ticket.reference)
    FakeIMAP.mailbox = {
        b"7": compose(sender=ticket.customer.email, to=to, body="Sent by IMAP."),
        b"8": compose(sender="someone@example.org", body="Hello"),
    }
    FakeIMAP.seen = set()
    monkeypatch.setattr(imaplib, "IMAP4_SSL", FakeIMAP)
    settings.REDRESS_IMAP_URL = (
        "imaps://support%40redress.local:p%40ss%20word@imap.example.com/INBOX"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert imap.fetch() == 2
    assert FakeIMAP.seen == {b"7", b"8"}
    assert ticket.messages.get().body == "Sent by IMAP."
    assert imap.fetch() == 0  # flagged: the next poll finds nothing new
    # A poll that died before flagging spools the same bytes again: still one row each.
    FakeIMAP.seen = set()
    assert imap.fetch() == 2
    assert InboundMessage.objects.count() == 2


def test_no_imap_url_no_poll(settings):
    settings.REDRESS_IMAP_URL = ""
    assert imap.fetch() == 0


def test_a_providers_inbound_webhook_spools_the_raw_message(
    client, settings, django_capture_on_commit_callbacks
):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}
    ticket = file()
    to = addresses.reply_address(ticket.reference)
    raw = compose(sender=ticket.customer.email, to=to, body="Sent through the provider.")
    payload = {
        "RawEmail": raw.decode(),
        "Headers": [{"Name": "Return-Path", "Value": f"<{ticket.customer.email}>"}],
        "OriginalRecipient": to,
    }
    auth = "Basic " + base64.b64encode(b"hook:secret").decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/anymail/postmark/inbound/",
            json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=auth,
        )
    assert response.status_code == 200, response.content
    row = InboundMessage.objects.get()
    assert row.source == "webhook:postmark" and row.envelope_from == ticket.customer.email
    assert ticket.messages.get().body == "Sent through the provider."
    refused = client.post("/anymail/postmark/inbound/", "{}", content_type="application/json")
    assert refused.status_code in (400, 403)


def test_the_spool_keeps_one_row_for_the_same_bytes():
    raw = compose()
    assert inbound.spool(raw, source="a").pk == inbound.spool(raw, source="b").pk
