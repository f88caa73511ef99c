"""The demo's SMTP listener for inbound mail (Procfile.demo starts it with `make run`)."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from mail.smtp import Listener


class Command(BaseCommand):
    help = "Take inbound mail over SMTP and hand it to the ingest pipeline."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.REDRESS_SMTP_HOST)
        parser.add_argument("--port", type=int, default=settings.REDRESS_SMTP_PORT)

    def handle(self, *args, host, port, **options):
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        try:
            listener = Listener(host, port).start()
        except OSError as error:
            # Stay up without it: the demo's other processes stop when one of them exits.
            self.stderr.write(
                f"Inbound mail: cannot listen on {host}:{port} ({error.strerror}); "
                "set REDRESS_SMTP_PORT to a free port. The rest of the demo runs without it."
            )
            stop.wait()
            return
        self.stdout.write(
            f"Inbound mail: SMTP on {listener.address}; write to "
            f"{settings.REDRESS_SUPPORT_ADDRESS} (or the reply address in a mail under "
            f"var/mail/), for example: swaks --server {listener.address} "
            f"--to {settings.REDRESS_SUPPORT_ADDRESS} --from customer@example.com"
        )
        stop.wait()
        listener.stop()
