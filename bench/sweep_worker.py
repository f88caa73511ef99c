"""The SLA sweep through a real Celery worker, as production runs it: one beat's task.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress_bench_queue
    export REDIS_URL=redis://127.0.0.1:6379/3      # the broker; this database is flushed
    uv run --no-sync python bench/seed.py --tickets 1000000 --breached 10000 --reset
    uv run --no-sync python bench/sweep_worker.py --helpers 0 1 --runs 2 [--cold]

For each run it starts `celery worker --concurrency=2` (compose's worker) on the production
settings with `REDRESS_SLA_SWEEP_HELPERS` set, sends one `escalation.tasks.sla_sweep` as the
beat would, and reads from the worker's log how long it took from the task's arrival to
the end of the last sweep (its own and its helpers': warning pass and relay included).
Then it checks that every overdue case was escalated once and puts them back from
bench/sla_sweep.py's snapshot, so each run has the same work. `--cold` restarts PostgreSQL
and drops the page cache first (root on the bench machine: `pg_ctlcluster`,
/proc/sys/vm/drop_caches), as after a deploy or when the rows have not been read for a
while. The worker also runs the notices and panel draws the sweeps queue; they come after
the time measured, and are cut short when the run ends.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.chat_load import server_env, stop_group  # noqa: E402

LOG = Path("/tmp/sweep-worker.log")
STAMP = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): ")
SWEEP = re.compile(r"Task escalation\.tasks\.(sla_sweep|sla_sweep_help)\[")
ESCALATED = re.compile(r"succeeded in [\d.]+s: \{'escalated': (\d+)")


def cold_start() -> None:
    subprocess.run(["pg_ctlcluster", "15", "main", "restart"], check=True)
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def worker(env: dict) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=2"]
    command += ["--loglevel=INFO", "--without-mingle", "--without-gossip"]
    with LOG.open("wb") as out:
        # Its own session: stopped with its pool processes as one group (stop_group).
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while " ready." not in LOG.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                stop_group(process)
            raise SystemExit(f"the worker did not start:\n{LOG.read_text(errors='replace')}")
        time.sleep(0.2)
    return process


def sweeps_in_log() -> tuple[float, list[int]] | None:
    """From the first sweep's arrival to the last sweep's end (s), and what each escalated;
    None while a sweep that arrived has not ended."""
    received, ended, escalated = [], [], []
    for line in LOG.read_text(errors="replace").splitlines():
        stamp = STAMP.match(line)
        if not stamp or not SWEEP.search(line):
            continue
        at = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f")
        if " received" in line:
            received.append(at)
        elif match := ESCALATED.search(line):
            ended.append(at)
            escalated.append(int(match.group(1)))
    if not received or len(ended) < len(received):
        return None
    return (max(ended) - min(received)).total_seconds(), escalated


def run(helpers: int, cold: bool) -> tuple[str, bool]:
    """One beat's sweep through a fresh worker: its line for the report, and whether every
    overdue case was escalated exactly once."""
    import redis
    from django.db import connection
    from django.utils import timezone

    from bench.sla_sweep import SNAPSHOT, overdue_count, restore
    from config.celery import app

    restore()
    connection.close()
    if cold:
        cold_start()
    now = timezone.now()
    expected = overdue_count(now)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_ticketevent")
        (first_event,) = cursor.fetchone()
    connection.close()
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    process = worker({**os.environ, "REDRESS_SLA_SWEEP_HELPERS": str(helpers)})
    load = os.getloadavg()[0]
    try:
        app.send_task("escalation.tasks.sla_sweep")
        deadline = time.monotonic() + 600
        while (done := sweeps_in_log()) is None:
            if time.monotonic() > deadline:
                raise SystemExit("the sweep did not end within 10 minutes")
            time.sleep(0.2)
    finally:
        stop_group(process)
    seconds, escalated = done
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(DISTINCT e.ticket_id), count(*) FROM tickets_ticketevent e "
            f"JOIN {SNAPSHOT} s ON s.id = e.ticket_id WHERE e.id > %s AND e.kind = 'tier'",
            [first_event],
        )
        tickets, events = cursor.fetchone()
    left = overdue_count(now)
    once = tickets == events == expected == sum(escalated) and left == 0
    line = (
        f"helpers {helpers}, {'cold' if cold else 'warm'}: {expected:,} overdue, "
        f"{seconds:.2f} s from the task's arrival to the last sweep's end; escalated "
        f"{' + '.join(f'{n:,}' for n in escalated)}; each once and none left: "
        f"{'yes' if once else 'NO'}  [load {load:.2f}]"
    )
    return line, once


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--helpers", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--runs", type=int, default=2, help="rounds of every --helpers value")
    parser.add_argument("--cold", action="store_true", help="restart PostgreSQL, drop caches")
    args = parser.parse_args()
    os.environ.update(server_env())
    import django

    django.setup()
    from django.utils import timezone

    from bench.sla_sweep import (
        drop_snapshot,
        overdue_count,
        restore,
        snapshot_exists,
        take_snapshot,
    )

    if not snapshot_exists():
        now = timezone.now()
        if not overdue_count(now):
            raise SystemExit("Nothing is overdue: seed first (bench/seed.py --breached N).")
        take_snapshot(now)
    failed = False
    try:
        for _round in range(args.runs):
            for helpers in args.helpers:
                line, once = run(helpers, args.cold)
                failed = failed or not once
                print(line, flush=True)
    finally:
        restore()
        drop_snapshot()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
