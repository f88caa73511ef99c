"""Time the real SLA sweep (escalation.sweep.sweep) on seeded PostgreSQL data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress_bench \
        uv run python bench/sla_sweep.py --breached 10000

Seed first with bench/seed.py. Each timed run escalates every overdue ticket, checks the
outcome, times no-op sweeps (nothing left to do), then puts the overdue tickets back from a
snapshot table so the next run has the same work (the audit events and SLA records the
sweep wrote stay: they are append-only). The first batch's queries are captured; a probe
run measures memory with tracemalloc; --profile adds a cProfile run.

Tasks are queued, not run: Celery's `apply_async` is replaced by a recorder, which is what
the sweep does in production (a message to the broker; mails and panel draws run in other
worker processes). `--notifications eager` runs them in-process instead, as the test
settings would (mails to the locmem backend), to see what those tasks cost.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import resource
import statistics
import sys
import time
import tracemalloc
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

# `python bench/<script>.py` puts bench/ first on the path, where a module named like one of
# the standard library's (bench/queue.py) would shadow it: import from the project root.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

SNAPSHOT = "bench_sweep_snapshot"
PARKED = "bench_sweep_parked"
# Issue 15: 10,000 escalations among 1M tickets in under 1.5 s, 50,000 in under 8 s.
TARGETS = [(10_000, 1.5), (50_000, 8.0)]
TARGET_NOOP_MS = 50.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--breached", type=int, help="expected overdue tickets (checked)")
    parser.add_argument(
        "--overdue",
        type=int,
        help="sweep only the N earliest overdue tickets: the others' deadlines are parked a "
        "month ahead for the runs and put back at the end (one seed serves 10,000 and 50,000)",
    )
    parser.add_argument("--runs", type=int, default=3, help="timed sweeps")
    parser.add_argument("--noop-runs", type=int, default=9, help="no-op sweeps after each run")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="sweepers running at once in the timed runs, each a forked process with its "
        "own connection (SKIP LOCKED shares the work)",
    )
    parser.add_argument(
        "--helpers",
        action="store_true",
        help="with --workers N: the first sweeps alone and the others start once its first "
        "batch comes back full, as the beat's sweep asks the worker for helpers",
    )
    parser.add_argument("--notifications", choices=["queued", "eager"], default="queued")
    parser.add_argument("--profile", action="store_true", help="add a cProfile run")
    parser.add_argument(
        "--no-probe", action="store_true", help="skip the tracemalloc run (slow on big batches)"
    )
    parser.add_argument("--explain", action="store_true", help="EXPLAIN the batch queries")
    parser.add_argument(
        "--keep", action="store_true", help="leave the tickets escalated after the last run"
    )
    return parser.parse_args(argv)


@dataclass
class Run:
    seconds: float = 0.0
    escalate_seconds: float = 0.0
    escalated: int = 0
    alerted: int = 0
    warned: int = 0
    batch_seconds: list[float] = field(default_factory=list)
    noop_ms: list[float] = field(default_factory=list)
    maxrss_before: int = 0
    maxrss_after: int = 0
    database_seconds: float = 0.0
    queries: int = 0
    python_cpu: float = 0.0
    backend_cpu: float | None = None


class Broker:
    """Stands in for the broker: `apply_async` records the task instead of running it."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple]] = []

    def apply_async(self, task, args=None, kwargs=None, **options):
        args = tuple(args or ())
        if task.name == "mail.tasks.notify":
            # The news the sweep records: named by the event (mail.tasks.notify's first argument).
            self.sent.append((f"{task.name}:{args[0]}", args[1:]))
            return
        self.sent.append((task.name, args))

    def ids(self, suffix: str) -> list[int]:
        """Ticket ids sent to the task whose name ends with `suffix`."""
        found = []
        for name, args in self.sent:
            if name.endswith(suffix):
                found += args[0] if isinstance(args[0], list) else [args[0]]
        return found


def mib(kib: int) -> float:
    return kib / 1024


def cpu_seconds() -> float:
    """User and system CPU time of this process."""
    times = os.times()
    return times.user + times.system


def backend_cpu_seconds() -> float | None:
    """CPU time of the PostgreSQL backend serving this connection, if it runs on this host.

    Together with this process's CPU time it says what the sweep costs on an idle machine,
    whatever else is running on a shared one.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit(f"bench/sla_sweep.py needs PostgreSQL (DATABASE_URL), not {connection.vendor}.")
    restore()  # a run that was interrupted left its snapshot behind
    drop_snapshot()
    unpark()
    if args.overdue is not None:
        park(args.overdue)
    bench = Bench(args)
    bench.prepare()
    runs = []
    for number in range(1, args.runs + 1):
        runs.append(bench.timed_run(number))
        if number < args.runs or not args.keep:
            bench.reset()
    probe = None
    if not args.no_probe:
        probe = bench.probe_run()
        bench.reset()
    profile = None
    if args.profile:
        profile = bench.profile_run()
        bench.reset()
    if args.keep:
        bench.timed_run(args.runs + 1)
    drop_snapshot()
    unpark()
    report(args, bench, runs, probe, profile)
    if bench.failures:
        sys.exit(1)


def overdue_count(now) -> int:
    from tickets.models import Ticket

    return Ticket.objects.filter(escalation_due_at__lte=now).count()


def snapshot_exists() -> bool:
    from django.db import connection

    return SNAPSHOT in connection.introspection.table_names()


def take_snapshot(now) -> None:
    """Copy the tickets overdue at `now`: restore() puts them back after each run."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE UNLOGGED TABLE {SNAPSHOT} AS "
            "SELECT * FROM tickets_ticket WHERE escalation_due_at <= %s",
            [now],
        )
        cursor.execute(f"ALTER TABLE {SNAPSHOT} ADD PRIMARY KEY (id)")


def restore() -> None:
    """Put the snapshot's tickets back as they were before the sweep."""
    from django.db import connection

    if not snapshot_exists():
        return
    columns = [
        column.name
        for column in connection.introspection.get_table_description(
            connection.cursor(), "tickets_ticket"
        )
        if column.name != "id"
    ]
    targets = ", ".join(columns)
    sources = ", ".join(f"s.{column}" for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE tickets_ticket t SET ({targets}) = ({sources}) "
            f"FROM {SNAPSHOT} s WHERE t.id = s.id"
        )
        # As fresh as after seeding: no dead index entries left for the next sweep to skip.
        cursor.execute("VACUUM (ANALYZE) tickets_ticket")


def park(keep: int) -> None:
    """Move every overdue deadline but the `keep` earliest a month ahead (and their warnings
    out of the way), remembering them in PARKED: the sweep sees `keep` overdue among the
    same million tickets and the same running cases."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {PARKED} AS SELECT id, escalation_due_at, sla_warning_at "
            "FROM tickets_ticket WHERE escalation_due_at <= %s "
            "ORDER BY escalation_due_at, id OFFSET %s",
            [now, keep],
        )
        cursor.execute(
            f"UPDATE tickets_ticket t SET sla_warning_at = NULL, escalation_due_at = "
            "%s::timestamptz + interval '30 days' + (t.id %% 10000) * interval '1 minute' "
            f"FROM {PARKED} p WHERE t.id = p.id",
            [now],
        )
        cursor.execute("VACUUM (ANALYZE) tickets_ticket")


def unpark() -> None:
    """Put the parked deadlines back (also after an interrupted run)."""
    from django.db import connection

    if PARKED not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket t SET escalation_due_at = p.escalation_due_at, "
            f"sla_warning_at = p.sla_warning_at FROM {PARKED} p WHERE t.id = p.id"
        )
        cursor.execute(f"DROP TABLE {PARKED}")
        cursor.execute("VACUUM (ANALYZE) tickets_ticket")


def drop_snapshot() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SNAPSHOT}")


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.failures: list[str] = []
        self.checks: list[str] = []
        self.tickets = 0
        self.overdue = 0
        self.warnings_due = 0
        self.batch_queries: list[dict] = []
        self.batch_seconds = 0.0
        self.noop_queries: list[dict] = []
        self.plans: list[str] = []

    def prepare(self) -> None:
        from django.utils import timezone

        from tickets.models import Ticket

        self.seat_seeded_panels()
        now = timezone.now()
        self.tickets = Ticket.objects.count()
        self.overdue = overdue_count(now)
        self.warnings_due = Ticket.objects.filter(sla_warning_at__lte=now).count()
        if not self.overdue:
            sys.exit("Nothing is overdue: seed first (bench/seed.py --breached N).")
        if self.args.breached is not None and self.overdue != self.args.breached:
            sys.exit(f"{self.overdue:,} tickets are overdue, not {self.args.breached:,}: reseed.")
        take_snapshot(now)
        if self.args.explain:
            self.plans = explain_batch(now, self.args.batch_size)

    def seat_seeded_panels(self) -> None:
        """The seed draws no panels, so the sweep's panel retry would draw 100 of its open
        committee cases in every timed sweep: they are drawn first, as the retry does after
        a deploy."""
        from celery import Task
        from django.utils import timezone

        from escalation.sweep import panel_retry_batch

        broker, previous, drawn = Broker(), None, set()
        send = lambda task, *a, **kw: broker.apply_async(task, *a, **kw)  # noqa: E731
        with mock.patch.object(Task, "apply_async", send):
            while True:
                tried = panel_retry_batch(now=timezone.now(), batch_size=500)
                if not tried or tried == previous:  # only panels still waiting are left
                    break
                drawn.update(tried)
                previous = tried
        if drawn:
            sys.stderr.write(f"drew panels for {len(drawn):,} seeded committee cases first\n")

    def reset(self) -> None:
        restore()
        from django.utils import timezone

        back = overdue_count(timezone.now())
        if back != self.overdue:
            self.fail(f"after restoring, {back:,} overdue instead of {self.overdue:,}")

    def fail(self, message: str) -> None:
        self.failures.append(message)

    @contextmanager
    def instrumented(self, run: Run, on_batch=None):
        """Time each escalation batch; queue notifications unless they are to run eagerly."""
        from celery import Task
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from escalation import sweep as sweep_module

        real_batch = sweep_module.escalate_batch
        broker = Broker()

        def timed_batch(**kwargs):
            capture = not self.batch_queries and not tracemalloc.is_tracing()
            with CaptureQueriesContext(connection) if capture else ExitStack() as captured:
                started = time.perf_counter()
                result = real_batch(**kwargs)
                run.batch_seconds.append(time.perf_counter() - started)
            if capture and result:
                self.batch_queries = list(captured.captured_queries)
                self.batch_seconds = run.batch_seconds[-1]
            if on_batch:
                on_batch(len(run.batch_seconds))
            return result

        def timed_query(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                run.database_seconds += time.perf_counter() - started
                run.queries += 1

        with ExitStack() as stack:
            stack.enter_context(connection.execute_wrapper(timed_query))
            stack.enter_context(mock.patch.object(sweep_module, "escalate_batch", timed_batch))
            if self.args.notifications == "queued":
                stack.enter_context(
                    mock.patch.object(
                        Task,
                        "apply_async",
                        lambda task, *a, **kw: broker.apply_async(task, *a, **kw),
                    )
                )
            yield broker

    def sweep_once(self, run: Run, on_batch=None, wrap=None):
        from django.utils import timezone

        from escalation.sweep import sweep

        now = timezone.now()
        before = self.high_water()
        gc.collect()
        run.maxrss_before = maxrss()
        backend_before = backend_cpu_seconds()
        with self.instrumented(run, on_batch) as broker:
            cpu_before = cpu_seconds()
            started = time.perf_counter()
            if wrap:
                with wrap():
                    result = sweep(now=now, batch_size=self.args.batch_size, time_budget=3600)
            else:
                result = sweep(now=now, batch_size=self.args.batch_size, time_budget=3600)
            run.seconds = time.perf_counter() - started
            run.python_cpu = cpu_seconds() - cpu_before
        backend_after = backend_cpu_seconds()
        if backend_before is not None and backend_after is not None:
            run.backend_cpu = backend_after - backend_before
        run.maxrss_after = maxrss()
        run.escalate_seconds = sum(run.batch_seconds)
        run.escalated, run.alerted, run.warned = (
            len(result.escalated),
            len(result.alerted),
            len(result.warned),
        )
        self.verify(now, result, before, broker)
        return now

    def sweep_parallel(self, run: Run) -> None:
        """`--workers` sweeps at once, each in a forked process with its own connection."""
        import multiprocessing

        from django.db import connection
        from django.utils import timezone

        from escalation.sweep import SweepResult

        now = timezone.now()
        before = self.high_water()
        connection.close()  # each child opens its own; the parent reconnects afterwards
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        # With --helpers the first sweeper's backlog sets `asked`, which the others wait for
        # (it is set at its end in any case: a helper that comes late finds nothing to do).
        asked = context.Event() if self.args.helpers else None
        workers = [
            context.Process(
                target=self._worker,
                args=(now, results),
                kwargs={"asks": asked} if n == 0 else {"waits_for": asked},
            )
            for n in range(self.args.workers)
        ]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        parts = [results.get() for _ in workers]
        run.seconds = time.perf_counter() - started
        for worker in workers:
            worker.join()
        total, broker = SweepResult(), Broker()
        run.backend_cpu = 0.0
        for part in parts:
            total.escalated += part["escalated"]
            total.alerted += part["alerted"]
            total.warned += part["warned"]
            broker.sent += part["sent"]
            run.batch_seconds += part["batch_seconds"]
            run.database_seconds += part["database_seconds"]
            run.queries += part["queries"]
            run.python_cpu += part["python_cpu"]
            run.backend_cpu += part["backend_cpu"] or 0.0
            run.maxrss_before = max(run.maxrss_before, part["maxrss_before"])
            run.maxrss_after = max(run.maxrss_after, part["maxrss_after"])
        # The workers escalate side by side: the escalation ends with the last one (the
        # monotonic clock is the machine's, the same in every forked process).
        run.escalate_seconds = max(part["escalated_at"] for part in parts) - started
        run.escalated, run.alerted, run.warned = (
            len(total.escalated),
            len(total.alerted),
            len(total.warned),
        )
        self.verify(now, total, before, broker)

    def _worker(self, now, results, asks=None, waits_for=None) -> None:
        from escalation.sweep import sweep

        run = Run()
        run.maxrss_before = maxrss()
        backend_before = backend_cpu_seconds()
        if waits_for is not None:
            waits_for.wait()
        with self.instrumented(run) as broker:
            cpu_before = cpu_seconds()
            started = time.perf_counter()
            try:
                result = sweep(
                    now=now,
                    batch_size=self.args.batch_size,
                    time_budget=3600,
                    on_backlog=asks.set if asks is not None else None,
                )
            finally:
                if asks is not None:
                    asks.set()
            escalated_at = started + sum(run.batch_seconds)
            run.python_cpu = cpu_seconds() - cpu_before
        backend_after = backend_cpu_seconds()
        results.put(
            {
                "escalated": result.escalated,
                "alerted": result.alerted,
                "warned": result.warned,
                "sent": broker.sent,
                "batch_seconds": run.batch_seconds,
                "escalated_at": escalated_at,
                "database_seconds": run.database_seconds,
                "queries": run.queries,
                "python_cpu": run.python_cpu,
                "backend_cpu": None if backend_before is None else backend_after - backend_before,
                "maxrss_before": run.maxrss_before,
                "maxrss_after": maxrss(),
            }
        )

    def timed_run(self, number: int) -> Run:
        run = Run()
        sys.stderr.write(f"run {number}: sweeping {self.overdue:,} overdue tickets ...")
        sys.stderr.flush()
        if self.args.workers > 1:
            self.sweep_parallel(run)
        else:
            self.sweep_once(run)
        sys.stderr.write(f" {run.seconds:.2f} s; no-op sweeps ...")
        run.noop_ms = self.noop_sweeps()
        sys.stderr.write(f" median {statistics.median(run.noop_ms):.1f} ms\n")
        return run

    def noop_sweeps(self) -> list[float]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from escalation.sweep import sweep

        timings = []
        for attempt in range(self.args.noop_runs):
            started = time.perf_counter()
            result = sweep(now=timezone.now(), batch_size=self.args.batch_size)
            timings.append((time.perf_counter() - started) * 1000)
            if result:
                self.fail(f"no-op sweep {attempt + 1} found work: {result}")
        with CaptureQueriesContext(connection) as captured:
            sweep(now=timezone.now(), batch_size=self.args.batch_size)
        self.noop_queries = list(captured.captured_queries)
        return timings

    def probe_run(self) -> dict:
        """Memory over a whole sweep: tracemalloc's peak, and what is held after each batch."""
        sys.stderr.write("probe run: tracemalloc ...")
        sys.stderr.flush()
        run = Run()
        after_batch: list[int] = []
        probe: dict = {}

        @contextmanager
        def traced():
            gc.collect()
            tracemalloc.start()
            try:
                yield
            finally:
                probe["peak"] = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()

        self.sweep_once(
            run,
            on_batch=lambda _n: after_batch.append(tracemalloc.get_traced_memory()[0]),
            wrap=traced,
        )
        probe.update(run=run, after_batch=after_batch)
        sys.stderr.write(f" {run.seconds:.2f} s\n")
        return probe

    def profile_run(self) -> str:
        sys.stderr.write("profile run: cProfile ...")
        sys.stderr.flush()
        run = Run()
        profiler = cProfile.Profile()

        @contextmanager
        def profiled():
            profiler.enable()
            try:
                yield
            finally:
                profiler.disable()

        self.sweep_once(run, wrap=profiled)
        sys.stderr.write(f" {run.seconds:.2f} s\n")
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(35)
        return f"profiled sweep: {run.seconds:.2f} s (cProfile inflates Python time)\n" + (
            out.getvalue()
        )

    def high_water(self) -> dict:
        from django.db.models import Max

        from sla.models import SLARecord
        from tickets.models import TicketEvent

        return {
            "event": TicketEvent.objects.aggregate(m=Max("id"))["m"] or 0,
            "record": SLARecord.objects.aggregate(m=Max("id"))["m"] or 0,
        }

    def verify(self, now, result, before: dict, broker: Broker) -> None:
        """The sweep did exactly its job: every overdue ticket up one tier, once."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {SNAPSHOT} WHERE escalation_due_at <= %s", [now])
            expected = {row[0] for row in cursor.fetchall()}
            cursor.execute(
                f"SELECT count(*) FILTER (WHERE status = 'new') FROM {SNAPSHOT} "
                "WHERE escalation_due_at <= %s",
                [now],
            )
            were_new = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT id FROM {SNAPSHOT} "
                "WHERE escalation_due_at <= %s AND tier = 'appeal_center'",
                [now],
            )
            to_committee = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                "SELECT count(*) FROM tickets_ticket WHERE escalation_due_at <= %s", [now]
            )
            still_overdue = cursor.fetchone()[0]
            cursor.execute(
                """
                SELECT ticket_id, count(*) FILTER (WHERE kind = 'tier'),
                       count(*) FILTER (WHERE kind = 'status')
                FROM tickets_ticketevent WHERE id > %s GROUP BY ticket_id
                """,
                [before["event"]],
            )
            events = {ticket: (tier, status) for ticket, tier, status in cursor.fetchall()}
            cursor.execute(
                f"""
                SELECT count(*) FILTER (WHERE t.tier = CASE s.tier
                           WHEN 'support' THEN 'appeal_center'
                           WHEN 'appeal_center' THEN 'dispute_committee' END
                       AND t.status = 'open' AND t.assignee_id IS NULL
                       AND t.escalation_due_at > %s AND t.sla_started_at = %s)
                FROM tickets_ticket t JOIN {SNAPSHOT} s ON s.id = t.id
                WHERE s.escalation_due_at <= %s
                """,
                [now, now, now],
            )
            moved_up = cursor.fetchone()[0]
            cursor.execute(
                "SELECT count(DISTINCT ticket_id), count(*) FROM escalation_slarecord "
                "WHERE id > %s AND outcome = 'breached'",
                [before["record"]],
            )
            records_tickets, records = cursor.fetchone()
        escalated = set(result.escalated)
        tier_events = {ticket for ticket, (tier, _) in events.items() if tier}
        checks = [
            (
                "escalated exactly the overdue tickets",
                escalated == expected and len(result.escalated) == len(expected),
            ),
            (
                "escalated == --breached",
                self.args.breached is None or len(result.escalated) == self.args.breached,
            ),
            ("no ticket left with escalation_due_at <= now", still_overdue == 0),
            (
                "one new TIER event per escalated ticket, none elsewhere",
                tier_events == escalated and all(events[t][0] == 1 for t in tier_events),
            ),
            (
                "one STATUS event per ticket that was new",
                sum(status for _, status in events.values()) == were_new,
            ),
            (
                "each one tier up, open, unassigned, new clock in the future",
                moved_up == len(expected),
            ),
            (
                "breached SLA records for every escalated ticket",
                records_tickets == len(expected) and records >= len(expected),
            ),
            ("no committee alerts (none was at the last tier)", not result.alerted),
        ]
        if self.args.notifications == "queued":
            checks += [
                (
                    "one escalation notice queued per ticket",
                    sorted(broker.ids("notify:escalated")) == sorted(escalated),
                ),
                (
                    "one panel draw queued per ticket that reached the committee",
                    sorted(broker.ids("draw_panels")) == sorted(to_committee),
                ),
            ]
        self.checks = [name for name, _ok in checks]
        for name, ok in checks:
            if not ok:
                self.fail(f"check failed: {name}")


def explain_batch(now, batch_size: int) -> list[str]:
    """EXPLAIN ANALYZE of the batch's lock query, inside a transaction rolled back after."""
    from django.db import connection, transaction

    from escalation.sweep import escalation_due

    query = escalation_due(now, batch_size).only("id")
    with transaction.atomic(), connection.cursor() as cursor:
        sql, params = query.query.sql_with_params()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
        transaction.set_rollback(True)
    return plan


def report(args, bench: Bench, runs: list[Run], probe: dict | None, profile: str | None) -> None:
    def row(label: str, values: list[str], target: str = "") -> None:
        print(f"{label:<40}" + "".join(f"{v:>12}" for v in values) + f"   {target}")

    def median(values) -> float:
        return statistics.median(values)

    limit = next((seconds for count, seconds in TARGETS if bench.overdue <= count), None)
    target = f"< {limit} s" if limit else ""
    escalate = [r.escalate_seconds for r in runs]
    rates = [r.escalated / r.escalate_seconds for r in runs]
    noop = [ms for r in runs for ms in r.noop_ms]
    batches = [s for r in runs for s in r.batch_seconds]
    print()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"SLA sweep on PostgreSQL: {bench.tickets:,} tickets, {bench.overdue:,} overdue, "
        f"batch size {args.batch_size}, {args.workers} worker(s), "
        f"notifications {args.notifications}; "
        f"{os.cpu_count()} CPUs, load average {load}"
    )
    header = [f"run {n}" for n in range(1, len(runs) + 1)] + ["median"]
    row("", header, "target")
    row(
        "escalate all overdue (s)",
        [f"{s:.2f}" for s in escalate] + [f"{median(escalate):.2f}"],
        target,
    )
    row(
        "whole sweep incl. warning pass (s)",
        [f"{r.seconds:.2f}" for r in runs] + [f"{median([r.seconds for r in runs]):.2f}"],
    )
    database = [r.database_seconds for r in runs]
    row(
        "  of which waiting on PostgreSQL (s)",
        [f"{x:.2f}" for x in database] + [f"{median(database):.2f}"],
    )
    row("queries per sweep", [str(r.queries) for r in runs] + [""])
    python_cpu = [r.python_cpu for r in runs]
    row(
        "CPU: sweeping process(es) (s)",
        [f"{x:.2f}" for x in python_cpu] + [f"{median(python_cpu):.2f}"],
    )
    if all(r.backend_cpu is not None for r in runs):
        backend = [r.backend_cpu for r in runs]
        row(
            "CPU: their PostgreSQL backend(s) (s)",
            [f"{x:.2f}" for x in backend] + [f"{median(backend):.2f}"],
        )
        idle = [r.python_cpu + r.backend_cpu for r in runs]
        row(
            "CPU sum" + (" (~ wall time when idle)" if args.workers == 1 else "") + " (s)",
            [f"{x:.2f}" for x in idle] + [f"{median(idle):.2f}"],
            target if args.workers == 1 else "",
        )
    row("escalations per second", [f"{x:,.0f}" for x in rates] + [f"{median(rates):,.0f}"])
    row(
        "escalated / alerted / warned",
        [f"{r.escalated}/{r.alerted}/{r.warned}" for r in runs] + [""],
    )
    row("batches", [str(len(r.batch_seconds)) for r in runs] + [""])
    full = [[s for s in r.batch_seconds if s] for r in runs]
    for name, pick in (("min", min), ("median", median), ("max", max)):
        row(
            f"batch time, {name} (ms)",
            [f"{pick(b) * 1000:.0f}" for b in full] + [f"{pick(batches) * 1000:.0f}"],
        )
    row(
        "ru_maxrss before -> after sweep (MiB)",
        [f"{mib(r.maxrss_before):.0f}->{mib(r.maxrss_after):.0f}" for r in runs] + [""],
        "flat",
    )
    row(
        f"no-op sweep, {args.noop_runs} per run (ms)",
        [f"{median(r.noop_ms):.1f}" for r in runs] + [f"{median(noop):.1f}"],
        f"< {TARGET_NOOP_MS:.0f} ms",
    )
    if probe:
        traced = probe["after_batch"]
        print()
        print("probe run (tracemalloc on, so slower):")
        print(
            f"  tracemalloc peak during the sweep: {probe['peak'] / 2**20:.1f} MiB; "
            f"traced memory after batch 1: {traced[0] / 2**20:.1f} MiB, "
            f"after batch {len(traced)}: {traced[-1] / 2**20:.1f} MiB, "
            f"max after any batch: {max(traced) / 2**20:.1f} MiB"
        )
    total_ms = sum(float(q["time"]) for q in bench.batch_queries) * 1000
    print()
    print(
        f"queries in the first escalation batch of run 1: {len(bench.batch_queries)}, "
        f"{total_ms:.0f} ms waiting on PostgreSQL of the batch's {bench.batch_seconds * 1000:.0f} ms"
    )
    for query in bench.batch_queries:
        print(
            f"    {float(query['time']) * 1000:7.1f} ms {len(query['sql']):>9,} chars  "
            f"{summarise(query['sql'])}"
        )
    print(f"queries in one no-op sweep: {len(bench.noop_queries)}")
    for query in bench.noop_queries:
        print(f"    {float(query['time']) * 1000:7.1f} ms  {summarise(query['sql'])}")
    if bench.plans:
        print("\nlock query plan (first batch):")
        print("\n".join("  " + line for line in bench.plans))
    print()
    verdict = "all passed" if not bench.failures else "FAILED"
    print(f"checks after every sweep ({verdict}):")
    for name in bench.checks:
        mark = "FAIL" if any(name in failure for failure in bench.failures) else "ok"
        print(f"  [{mark:>4}] {name}")
    others = [f for f in bench.failures if not any(c in f for c in bench.checks)]
    for failure in others:
        print(f"  [FAIL] {failure}")
    if bench.warnings_due:
        print(f"  note: {bench.warnings_due:,} warnings were also due before the first run")
    if profile:
        print()
        print(profile)


def summarise(sql: str | bytes) -> str:
    if isinstance(sql, bytes):
        sql = sql.decode()
    words = " ".join(sql.split())
    return words[:110] + ("…" if len(words) > 110 else "")


if __name__ == "__main__":
    main()
