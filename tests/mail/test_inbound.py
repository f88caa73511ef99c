"""The ingest pipeline: threading, strangers, loops, secrets, evidence, new and closed cases."""

import hashlib

import pytest
from django.core import mail
from mnemonic import Mnemonic

from mail import addresses, inbound, tasks
from mail.models import Bounce, InboundMessage, Notification
from tests.factories import AgentFactory, CustomerFactory, pdf_upload, png_upload
from tests.mail.helpers import compose
from tests.mail.test_outbound import file
from tickets import services
from tickets.models import Channel, EventKind, MessageOriginal, Status, Ticket

pytestmark = pytest.mark.django_db

SEED = Mnemonic("english").to_mnemonic(bytes(range(16)))


def receive(raw: bytes, **kwargs) -> InboundMessage:
    row = inbound.spool(raw, source="test", **kwargs)
    inbound.ingest(row.pk)
    row.refresh_from_db()
    return row


def reply(ticket, **kwargs) -> bytes:
    kwargs.setdefault("sender", ticket.customer.email)
    kwargs.setdefault("to", addresses.reply_address(ticket.reference))
    return compose(**kwargs)


def test_a_reply_to_the_signed_address_lands_in_the_case_through_the_service():
    ticket = file()
    agent = AgentFactory()
    services.ticket_request_info(ticket=ticket, actor=agent, body="Which network?")
    raw = reply(
        ticket, body="TRC20.\n\nOn Fri, Mar 6, 2026 at 10:18 AM Redress wrote:\n> Which network?"
    )
    row = receive(raw)
    assert row.state == InboundMessage.State.ADDED and row.ticket == ticket
    message = ticket.messages.get(author=ticket.customer, body="TRC20.")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN  # the customer answered: the clock runs again
    original = MessageOriginal.objects.get(message=message)
    assert original.sha256 == hashlib.sha256(raw).hexdigest()
    assert original.file.read() == raw  # byte for byte, for the case file


def test_the_same_message_twice_lands_once():
    ticket = file()
    raw = reply(ticket, body="Twice?")
    first, second = receive(raw), receive(raw)
    assert first.pk == second.pk
    # Relayed again with a trace header of its own: a different hash, the same Message-ID.
    receive(b"Received: from relay.example.com\r\n" + raw)
    assert ticket.messages.filter(body="Twice?").count() == 1
    assert InboundMessage.objects.filter(state=InboundMessage.State.IGNORED).count() == 1


def test_the_ingest_task_run_twice_does_its_work_once():
    ticket = file()
    row = inbound.spool(reply(ticket, body="Once please."), source="test")
    assert tasks.ingest(row.pk) == InboundMessage.State.ADDED
    assert tasks.ingest(row.pk) == "already handled"
    assert ticket.messages.filter(body="Once please.").count() == 1


def test_in_reply_to_one_of_our_message_ids_finds_the_case():
    ticket = file()
    tasks.notify("ticket_filed", ticket.pk)
    ours = Notification.objects.get(ticket=ticket).message_id
    row = receive(
        compose(sender=ticket.customer.email, body="By In-Reply-To.", headers={"In-Reply-To": ours})
    )
    assert row.state == InboundMessage.State.ADDED and row.ticket == ticket


def test_a_reference_in_the_subject_counts_only_from_the_cases_own_customer():
    ticket = file()
    own = receive(compose(sender=ticket.customer.email, subject=f"About {ticket.reference}"))
    assert own.state == InboundMessage.State.ADDED
    stranger = receive(
        compose(
            sender="mallory@example.com",
            subject=f"About {ticket.reference}",
            body="Refund me to 0xdead",
        )
    )
    assert stranger.state == InboundMessage.State.QUARANTINED
    assert (
        "not the customer of" in stranger.reason_text and ticket.reference in stranger.reason_text
    )
    assert not ticket.messages.filter(body__contains="0xdead").exists()


def test_another_customer_using_the_signed_address_is_held_too():
    ticket = file()
    other = CustomerFactory()
    row = receive(reply(ticket, sender=other.email, body="Let me in"))
    assert row.state == InboundMessage.State.QUARANTINED
    assert not ticket.messages.filter(body="Let me in").exists()


def test_a_forged_reply_address_is_held_for_staff():
    customer = CustomerFactory()
    row = receive(
        compose(sender=customer.email, to="support+RD-ABCD-EFGH.00000000000000000000@redress.local")
    )
    assert row.state == InboundMessage.State.QUARANTINED and "token" in row.reason_text
    assert not Ticket.objects.filter(customer=customer).exists()


def test_a_known_customer_writing_to_support_opens_an_email_case_acknowledged_with_its_reference(
    django_capture_on_commit_callbacks,
):
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        row = receive(
            compose(sender=customer.email, subject="Fwd: Withdrawal stuck", body="Since Monday.")
        )
    ticket = Ticket.objects.get(customer=customer)
    assert row.state == InboundMessage.State.OPENED and row.ticket == ticket
    assert (ticket.channel, ticket.category.code, ticket.status) == (
        Channel.EMAIL,
        "other",
        Status.NEW,
    )
    assert ticket.subject == "Withdrawal stuck" and ticket.description == "Since Monday."
    assert MessageOriginal.objects.filter(ticket=ticket, message=None).exists()
    (ack,) = mail.outbox
    assert ack.to == [customer.email] and ticket.reference in ack.subject


def test_an_unknown_sender_is_told_once_how_to_file_and_held(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = receive(compose(sender="new.person@example.com", body="Help"))
        second = receive(compose(sender="new.person@example.com", body="Hello??"))
    assert first.state == second.state == InboundMessage.State.QUARANTINED
    (answer,) = mail.outbox
    assert answer.to == ["new.person@example.com"] and "/accounts/sign-up/" in answer.body
    assert answer.extra_headers["Auto-Submitted"] == "auto-generated"


def test_an_unknown_sender_writing_chinese_is_answered_in_chinese(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        receive(compose(sender="xin@example.com", subject="提现未到账", body="我的提现没有到账。"))
    (answer,) = mail.outbox
    assert "投诉" in answer.subject


def test_a_reply_to_a_closed_case_opens_a_new_case_linked_to_it():
    ticket = file()
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    row = receive(reply(ticket, body="It happened again."))
    new = Ticket.objects.exclude(pk=ticket.pk).get(customer=ticket.customer)
    assert row.state == InboundMessage.State.OPENED and row.ticket == new
    assert new.events.get(kind=EventKind.LINKED).data == {"follows": ticket.reference}
    assert ticket.events.get(kind=EventKind.LINKED).data == {"followed_by": new.reference}
    assert new.events.get(kind=EventKind.FILED).data["follows"] == ticket.reference


@pytest.mark.parametrize(
    "headers",
    [{"Auto-Submitted": "auto-replied"}, {"X-Autoreply": "yes"}, {"Precedence": "bulk"}],
)
def test_auto_replies_make_nothing(headers, django_capture_on_commit_callbacks):
    ticket = file()
    with django_capture_on_commit_callbacks(execute=True):
        row = receive(reply(ticket, subject="Out of office", body="I am away.", headers=headers))
    assert row.state == InboundMessage.State.IGNORED
    assert not ticket.messages.exists() and mail.outbox == []


def test_our_own_notification_coming_back_makes_nothing(django_capture_on_commit_callbacks):
    ticket = file()
    with django_capture_on_commit_callbacks(execute=True):
        row = receive(
            compose(
                sender="support@redress.local", to="support@redress.local", subject=ticket.reference
            )
        )
    assert row.state == InboundMessage.State.IGNORED and mail.outbox == []


def test_a_bounce_marks_the_address_and_mail_from_it_again_clears_it():
    customer = CustomerFactory()
    report = (
        b"From: MAILER-DAEMON@mx.example.com\r\nTo: support@redress.local\r\n"
        b"Subject: Undeliverable\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        b"Final-Recipient: rfc822; " + customer.email.encode() + b"\r\nAction: failed\r\n"
        b"Status: 5.1.1\r\n\r\n--B--\r\n"
    )
    row = receive(report, envelope_from="")
    assert row.state == InboundMessage.State.IGNORED
    assert Bounce.objects.filter(address=customer.email).exists()
    receive(compose(sender=customer.email, body="I am back."))
    assert not Bounce.objects.filter(address=customer.email).exists()


def test_a_seed_phrase_makes_nothing_keeps_nothing_and_is_answered(
    django_capture_on_commit_callbacks,
):
    ticket = file()
    with django_capture_on_commit_callbacks(execute=True):
        row = receive(reply(ticket, body=f"My words are {SEED}"))
    assert row.state == InboundMessage.State.REFUSED
    assert bytes(row.raw) == b"" and row.subject == ""
    assert not ticket.messages.exists() and not MessageOriginal.objects.exists()
    (answer,) = mail.outbox
    assert answer.to == [ticket.customer.email]
    assert "recovery phrase" in answer.body and SEED.split()[1] not in answer.body


def test_files_go_through_the_evidence_rules_and_a_refused_one_is_reported(
    django_capture_on_commit_callbacks,
):
    ticket = file()
    pdf, png = pdf_upload(), png_upload()
    with django_capture_on_commit_callbacks(execute=True):
        row = receive(
            reply(
                ticket,
                body="Statement and screenshot attached.",
                attachments=[
                    ("statement.pdf", pdf.read(), "application/pdf"),
                    ("run-me.exe", b"MZ\x90\x00 not evidence", "application/octet-stream"),
                    ("screen.png", png.read(), "image/png"),
                ],
            )
        )
    assert row.state == InboundMessage.State.ADDED
    kept = ticket.attachments.order_by("original_name")
    assert [a.original_name for a in kept] == ["screen.png", "statement.pdf"]
    assert kept[1].sha256 == hashlib.sha256(pdf_upload().read()).hexdigest()
    (report,) = [m for m in mail.outbox if "not added" in m.subject]
    assert "run-me.exe" in report.body and "statement.pdf" not in report.body


def test_evidence_alone_by_mail_is_kept_with_a_line_saying_so():
    ticket = file()
    receive(
        reply(
            ticket, body="", attachments=[("statement.pdf", pdf_upload().read(), "application/pdf")]
        )
    )
    (message,) = ticket.messages.all()
    assert "statement.pdf" in message.body and message.attachments.count() == 1


def test_a_chinese_reply_is_stored_without_its_quote():
    ticket = file(CustomerFactory(profile__preferred_language="zh-hans"))
    body = "好的，交易哈希已附上。\n\n在 2026年3月6日周五 10:18，Redress <support@redress.local> 写道：\n> 您好"
    receive(reply(ticket, body=body))
    assert ticket.messages.get().body == "好的，交易哈希已附上。"


def test_the_case_file_holds_the_raw_message():
    import io
    import zipfile

    from escalation import case_file

    ticket = file()
    raw = reply(ticket, body="For the file.")
    receive(raw)
    archive = zipfile.ZipFile(io.BytesIO(case_file.build(ticket, ticket.customer).read()))
    (name,) = [n for n in archive.namelist() if n.startswith("originals/")]
    assert archive.read(name) == raw
    assert case_file.verify(io.BytesIO(case_file.build(ticket, ticket.customer).read())).ok
