"""What a filing's receipt mail costs the worker: `mail.tasks.notify("ticket_filed", pk)`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress_bench_filing \
    REDIS_URL=redis://127.0.0.1:6379/3 \
        uv run --no-sync python bench/receipts.py --receipts 300

Takes the newest `--receipts` cases (bench/filing_profile.py or filing_load.py filed them),
forgets their receipts (the Notification rows), and runs the task's body on them in sets of
`--set-size` in this process, as a worker runs what the outbox gathered (`--set-size 1`:
one receipt per task, as before receipts went in sets), under production settings, with
mail going over SMTP to a sink in this process (bench/filing_load.py's). Prints the wall
and CPU time and the queries per receipt, the queries by statement, and what the sink
received: every receipt exactly once, and nothing more on a second run.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.queries import print_by_statement  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--receipts", type=int, default=300)
    parser.add_argument(
        "--set-size",
        type=int,
        default=100,
        help="receipts per task, as the outbox gathers them in a surge (1: one per task)",
    )
    parser.add_argument(
        "--profile", default="", help="write cProfile's stats of the timed run here"
    )
    args = parser.parse_args()

    from bench.filing_load import SmtpSink, server_env

    with SmtpSink() as sink:
        env = server_env(argparse.Namespace(broker_url=""), tempfile.mkdtemp(), sink.port)
        os.environ.update(env)
        import django

        django.setup()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from mail.models import Notification
        from mail.tasks import notify
        from tickets.models import Ticket

        ids = list(Ticket.objects.order_by("-pk").values_list("pk", flat=True)[: args.receipts])
        if len(ids) < args.receipts:
            raise SystemExit(f"only {len(ids)} cases: file some first (bench/filing_profile.py)")
        keys = [f"ticket_filed:{pk}" for pk in ids]
        Notification.objects.filter(key__in=keys).delete()

        profile = cProfile.Profile() if args.profile else None
        with CaptureQueriesContext(connection) as queries:
            began, cpu = time.perf_counter(), time.process_time()
            if profile:
                profile.enable()
            for start in range(0, len(ids), args.set_size):
                notify.run("ticket_filed", ids[start : start + args.set_size])
            if profile:
                profile.disable()
                profile.dump_stats(args.profile)
            wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        count = len(ids)
        sql = sum(float(q["time"]) for q in queries.captured_queries)
        print(
            f"{count} receipts: {1000 * wall / count:.1f} ms wall, {1000 * cpu / count:.1f} ms"
            f" CPU, {len(queries.captured_queries) / count:.1f} queries and"
            f" {1000 * sql / count:.2f} ms SQL each; {count / wall:.0f} a second in one process;"
            " load average %.2f %.2f %.2f" % os.getloadavg()
        )
        print_by_statement(queries.captured_queries, count)

        time.sleep(0.5)  # the sink's last DATA
        first = sum(sink.received.values())
        for start in range(0, len(ids), args.set_size):
            notify.run("ticket_filed", ids[start : start + args.set_size])
        time.sleep(0.5)
        sent = Notification.objects.filter(key__in=keys, state=Notification.State.SENT).count()
        print(
            f"sink received {first} mails for {count} receipts ({len(sink.received)} distinct"
            f" Message-IDs, {sum(1 for n in sink.received.values() if n > 1)} twice);"
            f" a second run sent {sum(sink.received.values()) - first} more; {sent} marked sent"
        )


if __name__ == "__main__":
    main()
