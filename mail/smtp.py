"""The demo's inbound source: a local SMTP listener (aiosmtpd) that spools what it takes.

`make run` starts it (manage.py mail_listen) on 127.0.0.1:2525, or REDRESS_SMTP_PORT.
Any local mail client or `swaks`/`sendmail` can send to it; the reply address to use is
in the demo's outgoing mail files under var/mail/. It takes mail for any address and
answers "250" only once the message is spooled (committed); if the database cannot take
it, it answers "451" and the sender's mail server tries again later, so nothing is lost.

The server runs on its own event loop in a thread (`Listener`), bound to the port asked
for, or a free one for port 0 (tests).
"""

from __future__ import annotations

import asyncio
import logging
import threading

from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from mail import inbound

log = logging.getLogger(__name__)


def _spool(raw: bytes, mail_from: str | None, rcpt_tos: list[str]) -> int:
    try:
        row = inbound.spool(raw, source="smtp", envelope_from=mail_from or "", envelope_to=rcpt_tos)
    finally:
        # Mail comes seldom: hold no connection open between messages.
        connections.close_all()
    return row.pk


class SpoolHandler:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            await sync_to_async(_spool, thread_sensitive=True)(
                raw, envelope.mail_from, list(envelope.rcpt_tos)
            )
        except Exception:
            log.exception("Could not spool a message from %s", envelope.mail_from)
            return "451 Requested action aborted: try again later"
        return "250 Message accepted"


class Listener:
    """An SMTP server on its own loop and thread: `start()`, then `port`, then `stop()`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 2525, handler=None):
        self.host, self.port = host, port
        self.handler = handler or SpoolHandler()
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None

    def _factory(self) -> SMTP:
        return SMTP(
            self.handler,
            data_size_limit=settings.REDRESS_MAIL_MAX_BYTES,
            hostname=self.host,
            ident="Redress inbound mail",
        )

    def start(self) -> Listener:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run():
            asyncio.set_event_loop(self._loop)
            try:
                self._server = self._loop.run_until_complete(
                    self._loop.create_server(self._factory, self.host, self.port)
                )
            except BaseException as error:
                failure.append(error)
                ready.set()
                return
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()
            self._server.close()
            self._loop.run_until_complete(self._server.wait_closed())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="smtp-listener", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        if self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None
