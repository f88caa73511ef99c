"""A chat that became a case is part of the case's file: its record, audit trail and
conversation, as the reader may see them, listed in the signed manifest."""

import io
import json
import zipfile

import pytest

from chat import services
from escalation import case_file
from tests.chat.helpers import active
from tests.factories import TicketFactory, category, png_upload

pytestmark = pytest.mark.django_db


def ticketed_chat():
    chat = active(category="compromised-account")
    services.chat_message_add(chat=chat, author=chat.customer, body="Someone logged in")
    services.chat_message_add(chat=chat, author=chat.customer, file=png_upload())
    services.chat_message_add(
        chat=chat, author=chat.agent, body="Looks like a phishing site", internal=True
    )
    services.chat_message_add(chat=chat, author=chat.agent, body="We froze your account.")
    ticket = services.chat_to_ticket(
        chat=chat,
        actor=chat.agent,
        category=category("compromised-account"),
        fields={"occurred_at": "2026-12-01 09:30"},
    )
    return chat, ticket


def read(ticket, user):
    data = case_file.build(ticket, user).read()
    return zipfile.ZipFile(io.BytesIO(data)), data


def test_staff_get_the_chats_record_audit_trail_and_notes():
    chat, ticket = ticketed_chat()
    archive, data = read(ticket, chat.agent)
    record = json.loads(archive.read(f"chat/{chat.pk}.json"))
    kinds = [event["kind"] for event in record["events"]]
    assert kinds[0] == "started" and kinds[-1] == "ticketed"
    assert {"queued", "offered", "accepted", "message", "file", "note"} <= set(kinds)
    assert record["accepted_at"] and record["ended_at"]
    assert "@" not in json.dumps(record)  # staff by name, never an email
    transcript = archive.read(f"chat/{chat.pk}.txt").decode()
    assert "Looks like a phishing site" in transcript and "We froze your account." in transcript
    manifest = json.loads(archive.read(case_file.MANIFEST))
    assert {f"chat/{chat.pk}.json", f"chat/{chat.pk}.txt"} <= set(manifest["files"])
    assert case_file.verify(io.BytesIO(data)).ok


def test_the_customer_gets_the_chat_without_internal_notes():
    chat, ticket = ticketed_chat()
    archive, data = read(ticket, chat.customer)
    record = json.loads(archive.read(f"chat/{chat.pk}.json"))
    assert "note" not in [event["kind"] for event in record["events"]]
    transcript = archive.read(f"chat/{chat.pk}.txt").decode()
    assert "phishing" not in transcript and "We froze your account." in transcript
    assert "phishing" not in archive.read(f"chat/{chat.pk}.json").decode()
    assert case_file.verify(io.BytesIO(data)).ok


def test_a_case_that_was_never_a_chat_has_no_chat_files():
    ticket = TicketFactory()
    archive, _ = read(ticket, ticket.customer)
    assert not [name for name in archive.namelist() if name.startswith("chat/")]
