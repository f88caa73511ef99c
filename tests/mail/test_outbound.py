"""Outgoing mail: its shape, its language, whom it reaches, and that it goes exactly once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from escalation import services as lifecycle
from mail import addresses, compose, delivery, events, tasks
from mail.models import Bounce, Notification, OptOut
from outbox import relay
from outbox.models import Message as OutboxMessage
from tests.factories import AgentFactory, CustomerFactory, UserFactory, category
from tickets import services
from tickets.models import Tier

pytestmark = pytest.mark.django_db


def file(customer=None, **kwargs):
    customer = customer or CustomerFactory()
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category(kwargs.pop("code", "other")),
        subject=kwargs.pop("subject", 'My "balance" <shows> zero'),
        description="Since this morning my balance is shown as zero.",
        fields={},
        **kwargs,
    )


def test_a_receipt_is_text_and_html_with_our_headers_and_a_signed_reply_address(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file()
    (sent,) = mail.outbox
    assert sent.to == [ticket.customer.email]
    assert ticket.reference in sent.subject
    # Plain text is not escaped HTML: the customer reads their subject as they wrote it.
    assert 'My "balance" <shows> zero' in sent.body
    (html, mimetype) = sent.alternatives[0]
    assert mimetype == "text/html" and "&lt;shows&gt;" in html
    notification = Notification.objects.get(ticket=ticket)
    assert sent.extra_headers["Message-ID"] == notification.message_id
    assert notification.message_id.endswith("@redress.local>")
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    assert sent.extra_headers["References"] == f"<case.{ticket.reference.lower()}@redress.local>"
    (reply_to,) = sent.reply_to
    assert addresses.reference_from(reply_to) == ticket.reference
    assert sent.body.startswith("##- Please type your reply above this line -##")
    assert notification.state == Notification.State.SENT and notification.attempts == 1


def test_a_customer_reads_their_mail_in_their_language(django_capture_on_commit_callbacks):
    customer = CustomerFactory(profile__preferred_language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file(customer)
    (sent,) = mail.outbox
    assert "我们已收到您的投诉" in sent.subject and ticket.reference in sent.subject


def test_a_set_of_receipts_goes_once_each_in_the_senders_batches(monkeypatch):
    monkeypatch.setattr(delivery, "BATCH_SIZE", 2)  # three connections for five mails
    tickets = [file() for _ in range(5)]
    opened = []
    real = delivery.get_connection
    monkeypatch.setattr(delivery, "get_connection", lambda **kw: opened.append(1) or real(**kw))
    assert tasks.notify("ticket_filed", [t.pk for t in tickets]) == 5
    assert tasks.notify("ticket_filed", [t.pk for t in tickets]) == 0  # run twice: nothing more
    assert sorted(m.to[0] for m in mail.outbox) == sorted(t.customer.email for t in tickets)
    assert len(opened) == 3


def test_a_task_run_twice_sends_one_mail():
    ticket = file()
    tasks.notify("ticket_filed", ticket.pk)
    tasks.notify("ticket_filed", ticket.pk)
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(ticket=ticket).count() == 1


def test_a_relay_that_resends_sends_one_mail(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file()
    (recorded,) = OutboxMessage.objects.filter(task="mail.tasks.notify")
    assert mail.outbox and recorded.sent_at is not None
    # The relay died after the broker took the call, before it marked the row sent.
    OutboxMessage.objects.filter(pk=recorded.pk).update(sent_at=None)
    assert relay.relay() == 1
    assert len(mail.outbox) == 1
    assert Notification.objects.get(ticket=ticket).state == Notification.State.SENT


def test_a_worker_killed_after_sending_but_before_acknowledging_sends_one_mail():
    """Celery redelivers a task its dead worker never acknowledged: the row says it went."""
    ticket = file()
    tasks.notify.apply(args=["ticket_filed", ticket.pk])  # sent, then the worker died
    tasks.notify.apply(args=["ticket_filed", ticket.pk])  # the broker's redelivery
    delivery.deliver_due()  # and the beat's minute
    assert len(mail.outbox) == 1


def test_a_sender_that_died_before_sending_leaves_the_mail_for_the_next_one(time_machine):
    ticket = file()
    # Claimed by a sender that then died before sending anything.
    ids = compose.record(events.ticket_filed(ticket.pk))
    delivery._claim(ids, 10)
    assert delivery.deliver_due() == 0  # held by the dead sender
    time_machine.move_to(delivery.timezone.now() + delivery.HOLD + timedelta(seconds=1))
    assert delivery.deliver_due() == 1
    assert len(mail.outbox) == 1


def test_updates_a_customer_turned_off_are_recorded_not_sent_and_required_ones_go():
    customer = CustomerFactory()
    OptOut.objects.bulk_create(
        [OptOut(user=customer, kind="reply"), OptOut(user=customer, kind="received")]
    )
    ticket = file(customer)
    tasks.notify("ticket_filed", ticket.pk)
    message = services.ticket_add_message(ticket=ticket, author=AgentFactory(), body="On it.")
    tasks.notify("staff_replied", message.pk)
    (sent,) = mail.outbox  # the receipt is required: turning it off changes nothing
    assert ticket.reference in sent.subject and "received" in sent.subject
    reply = Notification.objects.get(kind="reply")
    assert reply.state == Notification.State.SUPPRESSED
    assert reply.reason == "turned off by the recipient"


def test_nothing_is_sent_to_an_address_that_bounces():
    customer = CustomerFactory()
    Bounce.objects.create(address=customer.email, reason="550 user unknown")
    tasks.notify("ticket_filed", file(customer).pk)
    assert mail.outbox == []
    assert Notification.objects.get().reason == "the address bounces"


def test_an_approver_hears_of_a_compensation_waiting_for_them(settings):
    settings.REDRESS_APPROVAL_LIMIT = Decimal("100")
    officer = UserFactory(role="appeal_officer", is_staff=True)
    admin = UserFactory(role="admin", is_staff=True)
    agent = AgentFactory()
    ticket = file()
    resolution = services.ticket_propose_resolution(
        ticket=ticket,
        actor=agent,
        kind="compensation",
        summary="Refund",
        amount="500",
        asset="USDT",
    )
    tasks.notify("approval_waiting", resolution.pk)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([officer.email, admin.email])
    assert all("approval" in m.subject for m in mail.outbox)
    assert "/staff/approvals/" in mail.outbox[0].body
    # Approved before the mail went: nobody is asked any more.
    mail.outbox.clear()
    Notification.objects.all().delete()
    lifecycle.resolution_approve(resolution_id=resolution.pk, approver=officer)
    tasks.notify("approval_waiting", resolution.pk)
    assert [m for m in mail.outbox if "approval" in m.subject] == []


def test_the_assignee_hears_when_the_customer_writes_or_adds_evidence():
    from tests.factories import png_upload

    agent = AgentFactory()
    ticket = file()
    services.ticket_claim(ticket=ticket, actor=agent)
    message = services.ticket_add_message(
        ticket=ticket, author=ticket.customer, body="Any news?", files=[png_upload()]
    )
    tasks.notify("customer_wrote", message.pk)
    (sent,) = mail.outbox
    assert sent.to == [agent.email] and "Any news?" in sent.body
    assert "screenshot.png" in sent.body and f"/staff/tickets/{ticket.reference}/" in sent.body
    assert sent.reply_to == []  # staff answer on the workbench, not by mail
    (attachment,) = services.ticket_add_evidence(
        ticket=ticket, actor=ticket.customer, files=[png_upload("second.png")]
    )
    tasks.notify("evidence_added", [str(attachment.pk)])
    assert mail.outbox[-1].to == [agent.email] and "second.png" in mail.outbox[-1].body


def test_a_staff_member_who_turned_a_kind_off_does_not_get_it():
    agent = AgentFactory()
    OptOut.objects.create(user=agent, kind="customer_wrote")
    ticket = file()
    services.ticket_claim(ticket=ticket, actor=agent)
    message = services.ticket_add_message(ticket=ticket, author=ticket.customer, body="Hello?")
    tasks.notify("customer_wrote", message.pk)
    assert mail.outbox == []


def test_referring_a_case_to_the_committee_sends_the_customer_one_mail(
    django_capture_on_commit_callbacks,
):
    members = [UserFactory(role="committee", is_staff=True) for _ in range(3)]
    officer = UserFactory(role="appeal_officer", is_staff=True)
    ticket = file(code="kyc")
    lifecycle.ticket_escalate(ticket=ticket, actor=AgentFactory(), reason="Large loss")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.ticket_escalate(ticket=ticket, actor=officer, reason="Needs the committee")
    ticket.refresh_from_db()
    assert ticket.tier == Tier.DISPUTE_COMMITTEE
    to_customer = [m for m in mail.outbox if m.to == [ticket.customer.email]]
    assert len(to_customer) == 1, [m.subject for m in to_customer]
    # Each member drawn hears of their seat, with a link to the case.
    seated = {m.to[0] for m in mail.outbox if "panel" in m.subject and m.to != to_customer[0].to}
    assert seated == {m.email for m in members}


def test_a_breach_at_the_last_tier_reaches_the_admins_who_lead_it_once():
    admin = UserFactory(role="admin", is_staff=True)
    ticket = file(code="kyc")
    ticket.tier = Tier.DISPUTE_COMMITTEE
    ticket.sla_breached = ["resolution"]
    ticket.save()
    tasks.notify("last_tier_breached", [ticket.pk])
    tasks.notify("last_tier_breached", [ticket.pk])
    (sent,) = mail.outbox
    assert sent.to == [admin.email] and ticket.reference in sent.subject


def test_another_app_asks_for_a_customer_mail_by_task_name_with_a_key(
    django_capture_on_commit_callbacks,
):
    ticket = file()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            relay.enqueue(
                "mail.tasks.notify_customer",
                ticket.pk,
                "delay_notice",
                "notice-1",
                {
                    "reason": "We wait for the blockchain analysis.",
                    "expected_at": "2026-12-01T10:00:00+00:00",
                },
            )
    (sent,) = [m for m in mail.outbox if "longer" in m.subject]
    assert "We wait for the blockchain analysis." in sent.body and "2026" in sent.body
    with pytest.raises(ValueError, match="not a kind of customer mail"):
        tasks.notify_customer(ticket.pk, "panel_seat", "x")


def test_calls_recorded_before_the_move_go_to_the_mail_room():
    import importlib

    from django.apps import apps

    moved = importlib.import_module("mail.migrations.0002_outbox_calls_of_moved_tasks")
    ticket = file()
    OutboxMessage.objects.all().delete()  # what the filing itself recorded
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(task="tickets.tasks.send_ticket_received", args=[ticket.pk]),
            OutboxMessage(task="escalation.tasks.notify_warning", args=[[ticket.pk]]),
        ]
    )
    moved.rewrite(apps, None)
    assert sorted(OutboxMessage.objects.values_list("task", "args")) == [
        ("mail.tasks.notify", ["deadline_close", [ticket.pk]]),
        ("mail.tasks.notify", ["ticket_filed", ticket.pk]),
    ]
    assert relay.relay() == 2
    assert [m.to for m in mail.outbox] == [[ticket.customer.email]]  # nobody to warn: no team
