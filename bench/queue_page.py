"""Time the agent queue page (/staff/) through the real HTTP stack: gunicorn and PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress_bench_queue \
        uv run python bench/queue_page.py --requests 200 --warmup 20

Seed first with bench/seed.py. The script makes sure a staff member with the agent role, a
known password and a confirmed TOTP device exists (by default a seeded agent, so "My open
cases" has rows), starts gunicorn on a free loopback port, signs in through the real pages
(password, then the authenticator code) with urllib and a cookie jar, and requests each
queue view `--requests` times after `--warmup` untimed requests. Gunicorn is stopped at the
end, also after an error.

The times are client round trips on loopback: the server's time plus the HTTP overhead (a
new TCP connection per request, gunicorn's parsing, reading the body). Nothing is added to
the application to measure it. Then each view runs `--in-process` times in this process
with Django's test client (no HTTP): the request's time, its SQL time and its queries
(CaptureQueriesContext). The slowest query and the page's row query are shown with their
EXPLAIN ANALYZE.

Gunicorn runs the production settings (`config.settings.production`), as behind the TLS
proxy of docker-compose.yml: every request says `X-Forwarded-Proto: https` (the proxy header
those settings trust), the client returns the secure session and CSRF cookies on loopback and
sends the `Origin` Django's CSRF check compares for a secure request.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import HTTPCookieProcessor, Request, build_opener

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path, and its name would shadow the
# standard library's queue module (which asgiref and Django import): the project root instead.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    # Production has no default secret; a benchmark's sessions need one that is not secret.
    "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only-" + "x" * 50),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
}
# What the TLS proxy in front of gunicorn adds to every request (SECURE_PROXY_SSL_HEADER).
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
# This process runs the same settings as gunicorn (users, sessions, the in-process runs).
os.environ.update(SERVER_ENV)

PASSWORD = "bench-queue-password-7d1c"
DEVICE_NAME = "Bench queue authenticator"
TARGET_P95_MS = 50.0
TARGET_QUERIES = 10
STARTUP_SECONDS = 30.0
FLOOR_PATH = "/accounts/login/"
ROW = re.compile(r'<tr data-reference="')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NEXT_PAGE = re.compile(r'href="([^"]+)" id="next-page"')
ROWS_QUERY = re.compile(r'FROM "tickets_ticket" .* ORDER BY .* LIMIT \d+$', re.DOTALL)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per view")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per view first")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--agent",
        default="bench-agent-000001@example.com",
        help="the staff member to sign in as (created with the agent role if missing; "
        "the default is a seeded agent with open cases)",
    )
    parser.add_argument("--word", default="withdrawal", help="a word of the seeded subjects")
    parser.add_argument("--txid", help="a TxID to search for (default: one of an open case)")
    parser.add_argument("--deep", type=int, default=20, help="next-page links to follow")
    parser.add_argument(
        "--in-process", type=int, default=20, help="in-process runs per view (test client)"
    )
    parser.add_argument("--tabs", action="store_true", help="also time every other queue tab")
    parser.add_argument("--show-queries", action="store_true", help="list every query of each view")
    return parser.parse_args(argv)


@dataclass
class Page:
    status: int
    url: str
    body: str


class BehindTheProxy(DefaultCookiePolicy):
    """Secure cookies go back over loopback: the proxy's TLS ends before gunicorn."""

    def return_ok_secure(self, cookie, request) -> bool:
        return True


class Browser:
    """urllib with a cookie jar: the session and CSRF cookies go back as a browser sends them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = build_opener(HTTPCookieProcessor(CookieJar(BehindTheProxy())))

    def open(self, path: str, data: dict | None = None, headers: dict | None = None) -> Page:
        body = urlencode(data).encode() if data is not None else None
        headers = {**PROXY_HEADERS, **(headers or {})}
        if data is not None:
            # A secure POST must come from the site's own origin (Django's CSRF check).
            headers["Origin"] = "https://" + urlsplit(self.base_url).netloc
        request = Request(self.base_url + path, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                return Page(response.status, response.geturl(), response.read().decode())
        except HTTPError as error:
            return Page(error.code, error.geturl(), error.read().decode(errors="replace"))

    def page(self, path: str, headers: dict | None = None) -> Page:
        """GET `path`, which must answer 200 itself (a redirect means the session was lost)."""
        page = self.open(path, headers=headers)
        if page.status != 200 or page.url != self.base_url + path:
            raise SystemExit(f"GET {path} answered {page.status} at {page.url}")
        return page


def ensure_agent(email: str):
    """The staff member, with the agent role, PASSWORD and a confirmed TOTP device (idempotent)."""
    from axes.utils import reset
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import roles
    from accounts.models import Team, User

    user, created = User.objects.get_or_create(
        email=email, defaults={"full_name": "Bench queue agent", "is_staff": True}
    )
    user.groups.add(Group.objects.get(name=roles.AGENT))
    if created:
        # An agent reads its teams' support cases (tickets.selectors): a new one reads all.
        user.teams.set(Team.objects.all())
    if not user.check_password(PASSWORD):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, name=DEVICE_NAME, defaults={"confirmed": True}
    )
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    # A failed earlier run must not leave the bench account locked out.
    reset(username=email)
    return user, device


def fresh_code(device) -> str:
    """A code the device has not accepted yet: django-otp refuses a code used before."""
    from tests.factories import totp_code

    device.refresh_from_db()
    step = int((time.time() - device.t0) // device.step)
    if device.last_t >= step:
        time.sleep((step + 1) * device.step + device.t0 - time.time() + 0.5)
    return totp_code(device)


def csrf_token(page: Page) -> str:
    found = CSRF.search(page.body)
    if found is None:
        raise SystemExit(f"no CSRF token in the form at {page.url} ({page.status})")
    return found.group(1)


def sign_in(browser: Browser, email: str, device) -> None:
    """The real sign-in: the password form, then the authenticator code."""
    queue = "/staff/"
    login = f"/accounts/login/?{urlencode({'next': queue})}"
    page = browser.open(login)
    page = browser.open(
        login,
        {
            "csrfmiddlewaretoken": csrf_token(page),
            "username": email,
            "password": PASSWORD,
            "next": queue,
        },
    )
    if urlsplit(page.url).path != "/accounts/login/code/":
        raise SystemExit(f"the password step ended at {page.url} ({page.status})")
    # Signing in rotates the CSRF token: take it from the code page.
    page = browser.open(
        page.url.removeprefix(browser.base_url),
        {
            "csrfmiddlewaretoken": csrf_token(page),
            "otp_token": fresh_code(device),
            "next": queue,
        },
    )
    if page.status != 200 or urlsplit(page.url).path != queue:
        raise SystemExit(f"the code step ended at {page.url} ({page.status})")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(workers: int):
    """A gunicorn serving the app on loopback; stopped on the way out, whatever happened."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--log-level", "warning"]
    with tempfile.TemporaryFile("w+") as log:
        environment = {**os.environ, "PGAPPNAME": APPLICATION_NAME}
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log, env=environment)
        SERVER["pid"] = process.pid
        try:
            wait_listening(process, port)
            yield f"http://127.0.0.1:{port}"
        except BaseException:
            log.seek(0)
            print(log.read()[-4000:], file=sys.stderr)
            raise
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_listening(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start listening") from None
            time.sleep(0.2)
    raise SystemExit(f"gunicorn exited with {process.returncode}")


@dataclass
class View:
    name: str
    path: str
    htmx: bool = False

    @property
    def headers(self) -> dict:
        return {"HX-Request": "true"} if self.htmx else {}


@dataclass
class Result:
    view: View
    times_ms: list[float]
    rows: int
    cpu_ms: float = 0.0  # server CPU (gunicorn worker and PostgreSQL backend) per request
    app_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    queries: list[dict] = field(default_factory=list)  # the last in-process run's, with "ms"

    @property
    def p95(self) -> float:
        return percentile(self.times_ms, 95)


def percentile(values: list[float], n: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[n - 1]


def deep_page(browser: Browser, start: str, links: int) -> str:
    """The path `links` next-page links after `start` (the cursor the page itself gives)."""
    path = start
    for followed in range(links):
        found = NEXT_PAGE.search(browser.page(path).body)
        if found is None:
            raise SystemExit(f"{start}: no next page after {followed + 1} pages")
        path = html.unescape(found.group(1))
    return path


SERVER: dict = {}  # the running gunicorn's master pid
APPLICATION_NAME = "redress-bench-gunicorn"  # libpq's PGAPPNAME, for gunicorn's connections


def _cpu_of(pid: int | str) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu() -> dict[str, float]:
    """CPU seconds of each gunicorn worker and of each PostgreSQL backend gunicorn opened (its
    connections carry APPLICATION_NAME): what the requests cost whatever else the shared
    machine runs (10 ms clock ticks)."""
    from django.db import connection

    master = SERVER.get("pid")
    workers = Path(f"/proc/{master}/task/{master}/children").read_text().split() if master else []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APPLICATION_NAME]
        )
        backends = [str(pid) for (pid,) in cursor.fetchall()]
    return {pid: _cpu_of(pid) for pid in [*workers, *backends]}


def cpu_spent(before: dict[str, float], after: dict[str, float]) -> float:
    """Seconds spent between two snapshots (a backend that came and went in between is lost)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def time_view(
    browser: Browser, view: View, warmup: int, requests: int, before=lambda: None
) -> Result:
    """`before` runs ahead of each timed request, outside its time (a cache to empty)."""
    for _ in range(warmup):
        browser.page(view.path, view.headers)
    times = []
    cpu = server_cpu()
    for _ in range(requests):
        before()
        started = time.perf_counter()
        page = browser.page(view.path, view.headers)
        times.append((time.perf_counter() - started) * 1000)
    cpu_ms = cpu_spent(cpu, server_cpu()) * 1000 / requests
    return Result(view, times, len(ROW.findall(page.body)), cpu_ms=cpu_ms)


class SqlTimer:
    """A database execute wrapper: the time of each statement, in milliseconds."""

    def __init__(self) -> None:
        self.ms: list[float] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms.append((time.perf_counter() - started) * 1000)


def run_in_process(results: list[Result], user, runs: int) -> None:
    """Each view in this process (test client, same settings): its queries and their time."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tests.factories import login_verified

    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    login_verified(client, user)
    for result in results:
        path, headers = result.view.path, result.view.headers
        client.get(path, headers=headers)  # warm caches
        for _ in range(runs):
            timer = SqlTimer()
            with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                result.app_ms.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"in-process {path} answered {response.status_code}")
            result.sql_ms.append(sum(timer.ms))
            result.queries = [
                {"sql": query["sql"], "ms": ms}
                for query, ms in zip(captured.captured_queries, timer.ms, strict=True)
            ]


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def search_txid() -> str:
    """The TxID of the most recently filed open case that has one."""
    from tickets.models import OPEN_STATUSES, Ticket

    txid = (
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .exclude(txid="")
        .order_by("-id")
        .values_list("txid", flat=True)
        .first()
    )
    if not txid:
        raise SystemExit("no open case has a TxID: seed with bench/seed.py first")
    return txid


def print_report(results: list[Result], args: argparse.Namespace) -> None:
    print()
    print(
        f"{'view':<26} {'median ms':>9} {'p95 ms':>7} {'max ms':>7} {'CPU ms':>7} {'app ms':>7} "
        f"{'SQL ms':>7} {'queries':>7} {'rows':>5}  target"
    )
    for result in results:
        ok = result.p95 < TARGET_P95_MS and len(result.queries) <= TARGET_QUERIES
        print(
            f"{result.view.name:<26} {statistics.median(result.times_ms):>9.1f} "
            f"{result.p95:>7.1f} {max(result.times_ms):>7.1f} {result.cpu_ms:>7.1f} "
            f"{statistics.median(result.app_ms):>7.1f} {statistics.median(result.sql_ms):>7.1f} "
            f"{len(result.queries):>7} {result.rows:>5}  {'ok' if ok else 'MISSED'}"
        )
    print(
        f"""
Target: p95 under {TARGET_P95_MS:.0f} ms and at most {TARGET_QUERIES} queries per page.
median/p95/max: loopback round trips through gunicorn ({args.requests} requests after \
{args.warmup} warm-up), HTTP overhead included. CPU ms: the CPU time gunicorn's workers and \
the database's PostgreSQL backends spent per request (about the time on an idle machine).
app ms, SQL ms: medians of {args.in_process} in-process runs (test client, no HTTP), the \
whole request and its SQL; queries: per page."""
    )
    print("\nPaths:")
    for result in results:
        print(f"  {result.view.name:<26} {result.view.path}")
    for result in results:
        print(f"\n== {result.view.name}: {len(result.queries)} queries")
        if args.show_queries:
            for query in result.queries:
                print(f"  {query['ms']:7.2f} ms  {query['sql'][:150]}")
        slowest = max(result.queries, key=lambda query: query["ms"])
        rows = next((q for q in result.queries if ROWS_QUERY.search(q["sql"])), None)
        for label, query in (("slowest", slowest), ("the page's rows", rows)):
            if query is None or (label != "slowest" and query is slowest):
                continue
            print(f"-- {label}, {query['ms']:.1f} ms:\n{query['sql']}\n")
            try:
                print(explain(query["sql"]))
            except Exception as error:  # a captured statement that cannot be re-run as text
                print(f"(EXPLAIN failed: {error})")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from desk.queue import VIEWS
    from tickets.models import OPEN_STATUSES, Ticket

    if connection.vendor != "postgresql":
        raise SystemExit("set DATABASE_URL to a seeded PostgreSQL database (see bench/README.md)")
    user, device = ensure_agent(args.agent)
    word_search = f"/staff/?{urlencode({'q': args.word})}"
    views = [
        View("default (mine)", "/staff/"),
        View("all open", "/staff/?view=all"),
        View("filtered", "/staff/?view=support&priority=high&status=open"),
        View("search word (mine)", word_search),
        View("search word (all)", f"/staff/?{urlencode({'view': 'all', 'q': args.word})}"),
        View(
            "search TxID (all)",
            f"/staff/?{urlencode({'view': 'all', 'q': args.txid or search_txid()})}",
        ),
        View("htmx refresh (mine)", "/staff/", htmx=True),
    ]
    if args.tabs:
        views += [View(f"tab {code}", f"/staff/?view={code}") for code in VIEWS if code != "mine"]
    tickets = Ticket.objects.count()
    open_cases = Ticket.objects.filter(status__in=OPEN_STATUSES).count()
    connection.close()  # not held open while gunicorn works
    print(
        f"{tickets:,} tickets, {open_cases:,} open; signed in as {args.agent}; "
        f"gunicorn --workers {args.workers}, {settings.SETTINGS_MODULE} with DEBUG off; "
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    results = []
    with gunicorn(args.workers) as base_url:
        browser = Browser(base_url)
        sign_in(browser, args.agent, device)
        deep = deep_page(browser, "/staff/", args.deep)
        views.insert(4, View(f"default, page {args.deep + 1}", deep))
        for view in views:
            results.append(time_view(browser, view, args.warmup, args.requests))
            print(f"  timed {view.name}", file=sys.stderr)
        # What the HTTP stack alone costs: a small page without a session or a query.
        floor = time_view(Browser(base_url), View("floor", FLOOR_PATH), args.warmup, args.requests)
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    run_in_process(results, user, args.in_process)
    print_report(results, args)
    print(
        f"\nHTTP floor, {FLOOR_PATH} signed out: median {statistics.median(floor.times_ms):.1f} "
        f"ms, p95 {floor.p95:.1f} ms"
    )


if __name__ == "__main__":
    try:
        main()
    except URLError as error:
        raise SystemExit(f"HTTP request failed: {error}") from error
