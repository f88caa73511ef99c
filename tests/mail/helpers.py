"""Building mail as customers' programs send it, and SMTP servers to send it through."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone


def compose(
    *,
    sender: str = "customer@example.com",
    to: str = "support@redress.local",
    subject: str = "Re: New reply on your case",
    body: str = "Thank you, here is what you asked for.",
    html: str | None = None,
    headers: dict | None = None,
    attachments: list[tuple[str, bytes, str]] = (),
    message_id: str | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="mail.example.com")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for name, data, content_type in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


class Recorder:
    """An aiosmtpd handler that keeps what it is given: the mail server our mail goes to."""

    def __init__(self):
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def send_smtp(address: str, raw: bytes, *, mail_from: str, to: list[str]) -> None:
    host, _, port = address.rpartition(":")
    with smtplib.SMTP(host, int(port), timeout=20) as client:
        client.sendmail(mail_from, to, raw)
