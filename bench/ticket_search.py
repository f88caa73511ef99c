"""Time staff search at scale: every kind of query the queue's search box gets, with its plan.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress_bench \
        uv run python bench/ticket_search.py --runs 30

Seed first with bench/seed.py. For each kind (a whole reference, part of one, a TxID, a
wallet address, a customer's email, name and exchange UID, an English and a Chinese word)
the script takes a real value from an open case, runs the queue's first page (all open
cases, and an agent's own) `--runs` times in this process and prints the median and p95 of
its SQL, then the plan of the page's row query (EXPLAIN ANALYZE). A plan that walks the
open cases in deadline order probing each one's words is reported as a miss.
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

TARGET_MS = 20.0
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--agent", default="bench-agent-000001@example.com")
    parser.add_argument("--word", default="withdrawal")
    parser.add_argument("--chinese", default="到账")
    parser.add_argument("--explain", action="store_true", help="print every plan in full")
    return parser.parse_args(argv)


def samples(args) -> list[tuple[str, str]]:
    from tickets.models import OPEN_STATUSES, Ticket

    case = (
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .exclude(txid="")
        .exclude(wallet_address="")
        .select_related("customer__customer_profile")
        .order_by("-id")
        .first()
    )
    if case is None:
        raise SystemExit("no open case with a TxID: seed with bench/seed.py first")
    customer = case.customer
    return [
        ("reference", case.reference),
        ("part of a reference", case.reference.split("-")[2]),
        ("TxID", case.txid),
        ("wallet address", case.wallet_address),
        ("customer email", customer.email),
        ("customer name", customer.full_name),
        ("exchange UID", customer.customer_profile.exchange_uid),
        ("English word", args.word),
        ("Chinese word", args.chinese),
    ]


class SqlTimer:
    def __init__(self):
        self.ms = []
        self.sql = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms.append((time.perf_counter() - started) * 1000)
            self.sql.append((sql, params))


def main(argv=None):
    args = parse_args(argv)
    import django

    django.setup()
    from django.db import connection

    from accounts.models import User
    from bench.sla_sweep import backend_cpu_seconds, cpu_seconds
    from desk.queue import QueueFilters, queue_page

    if connection.vendor != "postgresql":
        raise SystemExit("set DATABASE_URL to a seeded PostgreSQL database")
    agent = User.objects.get(email=args.agent)
    from tickets.models import Ticket

    print(
        f"{Ticket.objects.count():,} tickets; load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    print(
        f"{'kind':<22} {'view':<5} {'rows':>4} {'SQL median':>10} {'SQL p95':>8} "
        f"{'CPU/page':>8}  plan"
    )
    misses = 0
    for kind, text in samples(args):
        for view in ("all", "mine"):
            filters = QueueFilters(view=view, q=text)
            times, rows = [], 0
            cpu_before, backend_before = cpu_seconds(), backend_cpu_seconds()
            for _ in range(args.runs):
                timer = SqlTimer()
                with connection.execute_wrapper(timer):
                    rows = len(queue_page(agent, filters, size=50).tickets)
                times.append(sum(timer.ms))
            cpu = (cpu_seconds() - cpu_before + backend_cpu_seconds() - backend_before) / args.runs
            sql, params = max(zip(timer.ms, timer.sql, strict=True), key=lambda pair: pair[0])[1]
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            walks = ("queue_" in plan and "SubPlan" in plan) or "Seq Scan on tickets_ticket" in plan
            p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
            ok = p95 < TARGET_MS and not walks
            misses += not ok
            print(
                f"{kind:<22} {view:<5} {rows:>4} {statistics.median(times):>10.2f} {p95:>8.2f} "
                f"{cpu * 1000:>8.2f}  "
                f"{'walks open cases' if walks else 'index'} {'ok' if ok else 'MISSED'}"
            )
            if args.explain:
                print(f"   q={text!r}\n" + "\n".join("   " + line for line in plan.splitlines()))
    print(f"\nTarget: SQL p95 under {TARGET_MS:.0f} ms, from an index; {misses} missed.")
    print(
        "CPU/page: the mean CPU time of this process and its PostgreSQL backend per page "
        "(the whole page, Python included): what a page costs on an idle machine."
    )
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
