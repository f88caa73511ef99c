"""Time the reports at a million tickets: the full backfill, one day's roll-up, every page.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress_h5_bench
    uv run python bench/seed.py --tickets 1000000 --breached 10000 --reset
    uv run python bench/seed_reports.py
    uv run python bench/reports.py

1. The backfill (`reports_backfill`, rollup.rebuild): every case's facts and every day's
   roll-up rebuilt from the case tables. Skip it with --skip-backfill once done.
2. One day's roll-up: the beat's fold of the last complete day's events. The facts dated
   that day are taken away first (as they are before that day is folded), the watermark is
   set to the start of the day, and one fold window (that day) runs; then the day's roll-up
   rows are compared with the backfill's (they must be equal). A second fold of the same
   day, with nothing left to change, is timed too.
3. Every report page through gunicorn (--workers 2, signed in through the real pages as an
   admin with a TOTP device), --requests times after --warmup, for: the default range (the
   last 30 days), the last year, and the last 30 days filtered by a team and a channel.
   Then in-process (Django's test client): the request's time, its SQL time and queries.

Targets (issue 14): each report under 300 ms p95 at 1M tickets; the daily roll-up under 10 s.
The machine is shared: the load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("queue_page", HERE / "queue_page.py")
queue_page = importlib.util.module_from_spec(_spec)
sys.modules["queue_page"] = queue_page  # its dataclasses look their module up there
_spec.loader.exec_module(queue_page)  # its path and settings set-up: gunicorn's settings too

ADMIN = "bench-reports-admin@example.com"
TARGET_P95_MS = 300.0
TARGET_DAY_S = 10.0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--in-process", type=int, default=5)
    parser.add_argument("--skip-backfill", action="store_true")
    parser.add_argument("--skip-day", action="store_true")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--only", help="time this report's pages only")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="build every timed page anew: the roll-ups' cache version is replaced before each",
    )
    return parser.parse_args(argv)


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def ensure_admin():
    from axes.utils import reset
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import roles
    from accounts.models import User

    user, _created = User.objects.get_or_create(
        email=ADMIN, defaults={"full_name": "Bench reports admin", "is_staff": True}
    )
    user.groups.add(Group.objects.get(name=roles.ADMIN))
    user.set_password(queue_page.PASSWORD)
    user.save(update_fields=["password"])
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, name=queue_page.DEVICE_NAME, defaults={"confirmed": True}
    )
    reset(username=ADMIN)
    return user, device


def backfill() -> None:
    from reports import rollup
    from reports.models import CaseFact, DayRollup

    print(f"backfill: load average {load()}", flush=True)
    started = time.monotonic()
    result = rollup.rebuild()
    seconds = time.monotonic() - started
    print(
        f"  full backfill: {seconds:.1f} s for {result.cases:,} cases: "
        f"{CaseFact.objects.count():,} facts, {DayRollup.objects.count():,} roll-up rows "
        f"(load average after {load()})"
    )


def _rollup_rows(day) -> list[tuple]:
    from reports.models import DayRollup

    fields = ["metric", "key", "category_id", "team_id", "tier", "channel", "priority"]
    fields += ["bucket", "late", "count", "total"]
    return sorted(DayRollup.objects.filter(day=day).values_list(*fields), key=repr)


def one_day() -> None:
    from django.db import transaction
    from django.utils import timezone

    from reports import rollup
    from reports.models import CaseFact, FoldState

    day = timezone.localdate() - timedelta(days=1)
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    end = start + timedelta(days=1)
    expected = _rollup_rows(day)
    touched = rollup.touched_cases(start - rollup.OVERLAP, end)
    with transaction.atomic():
        # What that day's events made: gone until the day is folded (facts dated that day of
        # cases without an event that day, a deadline falling due, were made before it).
        removed = 0
        for first in range(0, len(touched), 5000):
            chunk = touched[first : first + 5000]
            removed += CaseFact.objects.filter(day=day, ticket_id__in=chunk).delete()[0]
        rollup.recount_days([day])
        FoldState.objects.update_or_create(name=rollup.FOLD, defaults={"watermark": start})
    print(
        f"one day ({day}): {len(touched):,} cases with events that day; their {removed:,} "
        f"facts of that day removed; load average {load()}"
    )
    for attempt in ("first fold of the day", "second fold (nothing to change)"):
        FoldState.objects.filter(name=rollup.FOLD).update(watermark=start)
        started = time.monotonic()
        result = rollup.fold_window(now=end)
        seconds = time.monotonic() - started
        verdict = "ok" if seconds < TARGET_DAY_S else "MISSED"
        print(
            f"  {attempt}: {seconds:.2f} s, {result.cases:,} cases read, {result.changed:,} "
            f"with new facts, {len(result.days)} days re-counted  target {verdict} "
            f"(load average {load()})"
        )
    same = _rollup_rows(day) == expected
    print(f"  the day's roll-up equals the backfill's: {'yes' if same else 'NO'}")
    FoldState.objects.filter(name=rollup.FOLD).update(watermark=timezone.now())


def pages(args) -> None:
    from django.core.cache.backends.redis import RedisCache
    from django.utils import timezone

    from accounts.models import Team
    from reports import rollup
    from reports.catalogue import REPORTS

    today = timezone.localdate()
    team = Team.objects.order_by("pk").values_list("code", flat=True).first()
    ranges = {
        "last 30 days": {},
        "last year": {"from": (today - timedelta(days=364)).isoformat(), "to": today.isoformat()},
        "30 days, team+channel": {"team": team, "channel": "web"},
    }
    names = [args.only] if args.only else list(REPORTS)
    views = [
        queue_page.View(
            f"{name} · {label}",
            f"/staff/reports/{name}/" + (f"?{urlencode(params)}" if params else ""),
        )
        for name in names
        for label, params in ranges.items()
    ]
    user, device = ensure_admin()
    from django.db import connection

    # The server's cache is Redis (production settings); this process's may be local.
    shared = RedisCache(os.environ["REDIS_URL"], {}) if args.fresh else None

    def fresh() -> None:
        # As after every fold: a new version in the shared cache, so no cached result is read.
        if shared is not None:
            shared.set(rollup.VERSION_KEY, uuid.uuid4().hex, None)

    connection.close()
    print(f"pages: gunicorn --workers {args.workers}; load average {load()}", flush=True)
    results = []
    with queue_page.gunicorn(args.workers) as base_url:
        browser = queue_page.Browser(base_url)
        queue_page.sign_in(browser, ADMIN, device)
        for view in views:
            results.append(
                queue_page.time_view(browser, view, args.warmup, args.requests, before=fresh)
            )
            print(f"  timed {view.name}", file=sys.stderr, flush=True)
    print(f"load average after: {load()}")
    queue_page.run_in_process(results, user, args.in_process)
    print(
        f"\n{'report · range':<46} {'median ms':>9} {'p95 ms':>7} {'max ms':>7} "
        f"{'CPU ms':>7} {'app ms':>7} {'SQL ms':>7} {'queries':>7}  target"
    )
    for result in results:
        ok = "ok" if result.p95 < TARGET_P95_MS else "MISSED"
        print(
            f"{result.view.name:<46} {statistics.median(result.times_ms):>9.1f} "
            f"{result.p95:>7.1f} {max(result.times_ms):>7.1f} {result.cpu_ms:>7.1f} "
            f"{statistics.median(result.app_ms):>7.1f} {statistics.median(result.sql_ms):>7.1f} "
            f"{len(result.queries):>7}  {ok}"
        )
    slowest = max(results, key=lambda r: r.p95)
    print(f"\nslowest: {slowest.view.name} ({slowest.view.path}); its queries:")
    for query in sorted(slowest.queries, key=lambda q: -q["ms"])[:5]:
        print(f"  {query['ms']:7.1f} ms  {query['sql'][:160]}")


def main(argv=None) -> None:
    args = parse_args(argv)
    import django

    django.setup()
    from django.db import connection

    from tickets.models import Ticket, TicketEvent

    if connection.vendor != "postgresql":
        raise SystemExit("set DATABASE_URL to a seeded PostgreSQL database (see bench/README.md)")
    print(
        f"{Ticket.objects.count():,} tickets, {TicketEvent.objects.count():,} events; "
        f"load average {load()} on {os.cpu_count()} CPUs"
    )
    if not args.skip_backfill:
        backfill()
    if not args.skip_day:
        one_day()
    if not args.skip_pages:
        pages(args)


if __name__ == "__main__":
    main()
