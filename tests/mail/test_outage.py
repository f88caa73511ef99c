"""An SMTP outage: mail waits for hours, visible with its error, and goes once when it ends.

Before the mail room, each mail was a Celery task retried five times with backoff (about
half a minute in all), then lost: ten receipts filed during a 60-second outage never
arrived. Here a real SMTP server stops, stays down for three hours of the clock (the beat
tries every five minutes), and comes back on the same port.
"""

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.utils import timezone

from mail import delivery
from mail.models import Notification
from mail.smtp import Listener
from tests.factories import CustomerFactory, UserFactory
from tests.mail.test_outbound import file

pytestmark = pytest.mark.django_db


def test_mail_waits_through_an_outage_longer_than_the_old_retries_and_goes_once(
    smtp_server, time_machine, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        file()
    assert len(smtp_server.received) == 1  # the server works
    port = smtp_server.listener.port
    smtp_server.listener.stop()

    customers = [CustomerFactory() for _ in range(10)]
    with django_capture_on_commit_callbacks(execute=True):
        tickets = [file(customer) for customer in customers]
    waiting = Notification.objects.filter(ticket__in=tickets)
    assert waiting.count() == 10
    assert set(waiting.values_list("state", flat=True)) == {Notification.State.PENDING}
    assert all("Connection refused" in n.last_error for n in waiting)

    start = timezone.now()
    time_machine.move_to(start, tick=False)
    for minutes in range(5, 3 * 60 + 1, 5):
        time_machine.move_to(start + timedelta(minutes=minutes), tick=False)
        assert delivery.deliver_due() == 0
    waiting = list(Notification.objects.filter(ticket__in=tickets))
    assert {n.state for n in waiting} == {Notification.State.PENDING}
    assert min(n.attempts for n in waiting) > 5  # more than Celery's five retries, and alive

    # Admins see what waits and why, in the admin's list of notifications.
    admin = UserFactory(is_superuser=True, is_staff=True)
    request = RequestFactory().get("/admin/mail/notification/", {"state": "pending"})
    request.user = admin
    changelist = site._registry[Notification].get_changelist_instance(request)
    assert changelist.result_count == 10
    assert "Connection refused" in site._registry[Notification].short_error(waiting[0])

    back = Listener("127.0.0.1", port, handler=smtp_server).start()
    try:
        time_machine.move_to(start + timedelta(hours=3, minutes=20), tick=False)
        assert delivery.deliver_due() == 10
        assert delivery.deliver_due() == 0
    finally:
        back.stop()
    recipients = sorted(rcpt for _, (rcpt,), _ in smtp_server.received[1:])
    assert recipients == sorted(c.email for c in customers)  # each once
    assert set(Notification.objects.filter(ticket__in=tickets).values_list("state", flat=True)) == {
        Notification.State.SENT
    }


def test_a_mail_is_given_up_only_after_days_and_then_stays_listed(settings, time_machine):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard port: nothing listens
    from mail import tasks

    ticket = file()
    tasks.notify("ticket_filed", ticket.pk)
    start = timezone.now()
    time_machine.move_to(start + timedelta(hours=71), tick=False)
    delivery.deliver_due()
    assert Notification.objects.get().state == Notification.State.PENDING
    time_machine.move_to(start + timedelta(hours=73), tick=False)
    delivery.deliver_due()
    gave_up = Notification.objects.get()
    assert gave_up.state == Notification.State.FAILED and gave_up.last_error


class RefusingRecipient:
    """A mail server that knows no such user: 550 at RCPT."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return f"550 5.1.1 <{address}>: no such user here"


def test_a_recipient_refused_for_good_is_given_up_and_its_address_marked(settings):
    from mail import tasks
    from mail.models import Bounce

    listener = Listener("127.0.0.1", 0, handler=RefusingRecipient()).start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", listener.port
        ticket = file()
        tasks.notify("ticket_filed", ticket.pk)
    finally:
        listener.stop()
    notification = Notification.objects.get()
    assert notification.state == Notification.State.FAILED and "550" in notification.last_error
    assert Bounce.objects.filter(address=ticket.customer.email).exists()


def test_the_beat_handles_inbound_mail_whose_ingest_never_ran(time_machine):
    from mail import inbound, tasks
    from tests.mail.helpers import compose

    ticket = file()
    raw = compose(sender=ticket.customer.email, subject=f"Re: {ticket.reference}", body="Late")
    row = inbound.spool(raw, source="test")  # its ingest call is lost with a dead worker
    time_machine.move_to(timezone.now() + timedelta(minutes=6))
    tasks.deliver_due()
    row.refresh_from_db()
    assert row.state == row.State.ADDED and ticket.messages.get().body == "Late"
