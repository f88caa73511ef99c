"""Time the committee's panel draws (escalation.tasks.draw_panels) on seeded PostgreSQL data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress_bench \
        uv run python bench/panel_draws.py --cases 1000 --runs 3

It takes the open Dispute Committee cases of the seed that have no panel (bench/seed.py
draws none), up to `--cases`, and runs the real draw task on them the way a worker gets it
from the sweep: one call per sweep batch of ids (`--per-task`, the sweep's batch size).
Each run is one transaction rolled back at the end, so every run draws the same cases and
the database keeps no panel; the checks run inside it, before the rollback.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--per-task", type=int, default=500, help="ids per draw_panels call")
    return parser.parse_args(argv)


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import django

    django.setup()
    from django.db import connection, transaction

    from escalation import tasks
    from escalation.models import Panel
    from tickets.models import OPEN_STATUSES, Ticket, TicketEvent, Tier

    if connection.vendor != "postgresql":
        sys.exit("bench/panel_draws.py needs PostgreSQL (DATABASE_URL).")
    ids = list(
        Ticket.objects.filter(tier=Tier.DISPUTE_COMMITTEE, status__in=OPEN_STATUSES)
        .exclude(panels__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[: args.cases]
    )
    if not ids:
        sys.exit("No open committee case without a panel: seed first (bench/seed.py).")
    print(f"load average before: {load()}")
    seconds, queries, failures = [], [], []
    for number in range(1, args.runs + 1):
        counted = []

        def count(execute, sql, params, many, context, counted=counted):
            counted.append(1)
            return execute(sql, params, many, context)

        with transaction.atomic():
            started = time.perf_counter()
            with connection.execute_wrapper(count):
                for start in range(0, len(ids), args.per_task):
                    tasks.draw_panels(ids[start : start + args.per_task])
            seconds.append(time.perf_counter() - started)
            queries.append(len(counted))
            panels = Panel.objects.filter(ticket_id__in=ids)
            drawn = panels.count()
            events = TicketEvent.objects.filter(ticket_id__in=ids, kind="panel").count()
            sitting = panels.filter(state=Panel.State.SITTING).count()
            if drawn != len(ids) or events != len(ids):
                failures.append(f"run {number}: {drawn} panels, {events} panel events")
            transaction.set_rollback(True)
        sys.stderr.write(f"run {number}: {seconds[-1]:.2f} s\n")
    print(
        f"panel draws on PostgreSQL: {len(ids):,} committee cases, {args.per_task} per task, "
        f"{os.cpu_count()} CPUs, load average after {load()}"
    )
    print(f"  seconds per run: {', '.join(f'{s:.2f}' for s in seconds)}")
    median = statistics.median(seconds)
    print(f"  median {median:.2f} s, {median / len(ids) * 1000:.2f} ms per case")
    print(
        f"  queries per run: {queries[0]:,}; panels sitting {sitting:,}, waiting {drawn - sitting:,}"
    )
    print("  checks: one panel and one panel event per case: " + ("FAILED" if failures else "ok"))
    for failure in failures:
        print(f"  [FAIL] {failure}")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
