"""Demo data of the mail room: a mail held for staff, so the held-mail page shows one.

Idempotent: the message's bytes are fixed, and the spool keeps one row for the same bytes.
"""

from email.message import EmailMessage

from django.core.management.base import BaseCommand

from mail import inbound
from tickets.models import Ticket


class Command(BaseCommand):
    help = "Load the mail room's demo data (run after seed_demo)."

    def handle(self, *args, **options):
        ticket = (
            Ticket.objects.filter(customer__email="customer@example.com").order_by("pk").first()
        )
        if ticket is None:
            self.stdout.write("No demo case yet: run seed_demo first.")
            return
        message = EmailMessage()
        message["From"] = "Helpful Recovery <recovery-desk@example.net>"
        message["To"] = "support@redress.local"
        message["Subject"] = f"Re: {ticket.reference} refund"
        message["Date"] = "Mon, 30 Nov 2026 09:00:00 +0000"
        message["Message-ID"] = "<demo-stranger-1@example.net>"
        message.set_content(
            "We act for your customer. Send the refund for this case to our wallet instead."
        )
        row = inbound.spool(message.as_bytes(), source="demo")
        inbound.ingest(row.pk)
        row.refresh_from_db()
        self.stdout.write(f"Mail demo data: one mail {row.get_state_display().lower()}.")
