"""Load the filing path through the real stack: gunicorn, production settings, PostgreSQL, Redis.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress_bench_filing \
    REDIS_URL=redis://127.0.0.1:6379/3 \
        uv run --no-sync python bench/filing_load.py --clients 16 --count 3000 --seconds 60
    ... --screenshot                 # each filing then uploads one ~96 KB PNG screenshot
    ... --surge 10000                # 10,000 filings with the worker and the beat running

`--clients` threads, each with its own keep-alive connection, file complaints through
`POST /api/v1/tickets/` as distinct customers (`--customers` of them, each with an API token,
so the per-account throttle sees a surge of many people, not one) until `--count` filings or
`--seconds` have passed. Each filing is a withdrawal that never arrived, with its own TxID;
with `--screenshot` the client then sends the screenshot to `POST .../attachments/` as the
API's multipart upload. A client counts a filing only when every answer was its 201; at the
end the script checks that every reference it was given is a stored row (and its attachment),
and prints tickets/s, the latency of a whole filing (p50/p95/p99), the errors and the lost.

Gunicorn runs `config.settings.production` (DEBUG off) on a free loopback port with
`--workers` processes of `--worker-class` (and `--threads`); plain http on loopback, so the
TLS redirect is off (DJANGO_SECURE_SSL_REDIRECT=false). The Celery broker is Redis: in the
throughput runs no worker consumes, so the tasks wait in the broker's queue (emptied at the
start of each run); the surge starts a worker and the beat. Mail goes to an SMTP sink in this
process (aiosmtpd), which counts every Message-ID it is given.

The surge (`--surge N`): N filings by `--clients` clients with a Celery worker
(`--worker-concurrency`) and the beat running; then it waits until every filing's receipt
(the mail.Notification keyed `ticket_filed:<id>`) is sent and checks that the sink got each of them
exactly once. It prints tickets/s of the filing, the time until the last receipt left, and
any receipt missing or sent twice.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

CATEGORY = "withdrawal-not-received"
ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
STARTUP_SECONDS = 120.0  # a loaded machine starts gunicorn slowly


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent API clients")
    parser.add_argument("--count", type=int, default=3000, help="filings at most")
    parser.add_argument("--seconds", type=float, default=60.0, help="timed seconds at most")
    parser.add_argument("--warmup", type=int, default=100, help="untimed filings first")
    parser.add_argument("--customers", type=int, default=400, help="distinct filing customers")
    parser.add_argument("--screenshot", action="store_true", help="one ~96 KB PNG per filing")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--surge", type=int, default=0, help="a surge of this many filings")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--drain-seconds", type=float, default=600.0, help="wait for receipts")
    parser.add_argument("--broker-url", default="", help="Celery broker (default: REDIS_URL)")
    return parser.parse_args(argv)


def server_env(args, evidence_root: str, smtp_port: int) -> dict[str, str]:
    redis_url = os.environ["REDIS_URL"]
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "bench-filing-secret-key-not-for-production-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": args.broker_url or redis_url,
        "REDRESS_EVIDENCE_ROOT": evidence_root,
        "DJANGO_EMAIL_HOST": "127.0.0.1",
        "DJANGO_EMAIL_PORT": str(smtp_port),
    }


# -- the screenshot ---------------------------------------------------------------------


def screenshot_png(target: int = 96 * 1024) -> bytes:
    """A 1280x800 PNG that looks like an exchange's withdrawal page, about `target` bytes
    (what a desktop screenshot weighs): flat panels, lines of "text", and an avatar-sized
    photo whose noise is what makes up the weight."""
    from PIL import Image, ImageDraw

    rng = random.Random(15)
    image = Image.new("RGB", (1280, 800), (245, 246, 248))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 1280, 64), fill=(24, 26, 32))
    draw.rectangle((40, 100, 860, 760), fill=(255, 255, 255), outline=(220, 222, 228))
    draw.rectangle((900, 100, 1240, 760), fill=(255, 255, 255), outline=(220, 222, 228))
    for line in range(80):
        y = 120 + (line % 40) * 16
        x0, width = (60, 760) if line < 40 else (920, 300)
        x = x0
        while x < x0 + width:
            word = rng.randint(8, 40)
            shade = rng.randint(40, 140)
            draw.rectangle((x, y, x + word, y + 9), fill=(shade, shade, shade + 10))
            x += word + rng.randint(4, 10)
    side = 8
    while True:
        photo = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
        candidate = image.copy()
        candidate.paste(photo, (940, 500))
        buffer = io.BytesIO()
        candidate.save(buffer, "PNG")
        if buffer.tell() >= target or side >= 240:
            return buffer.getvalue()
        side += 8


# -- set-up in this process --------------------------------------------------------------


def prepare_customers(count: int) -> list[str]:
    """`count` verified customers, each with a fresh API token; their keys."""
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from accounts import roles
    from accounts.models import CustomerProfile, User
    from accounts.tokens import token_issue

    group = Group.objects.get(name=roles.CUSTOMER)
    emails = [f"bench-filer-{n:05d}@example.com" for n in range(count)]
    known = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    for email in emails:
        if email in known:
            continue
        # No password (hashing 400 of them takes minutes): these customers use API tokens.
        user = User.objects.create_user(email=email, password=None)
        user.full_name = f"Bench Filer {email[12:17]}"
        user.email_verified_at = timezone.now()
        user.save()
        user.groups.add(group)
        CustomerProfile.objects.get_or_create(user=user, defaults={"preferred_language": "en"})
    users = User.objects.filter(email__in=emails).order_by("email")
    return [token_issue(user=user, name="bench")[1] for user in users]


def filing_body(n: int) -> bytes:
    return json.dumps(
        {
            "category": CATEGORY,
            "subject": f"USDT withdrawal {n} never arrived",
            "description": (
                "I withdrew 1520.35 USDT on TRC20 during the outage this morning; the "
                "exchange shows it as completed but nothing arrived at my wallet."
            ),
            "fields": {
                "occurred_at": "2026-11-18T10:18:00Z",
                "asset": "USDT",
                "network": "TRC20",
                "amount": "1520.35",
                "wallet_address": ADDRESS,
                "txid": secrets.token_hex(32),
            },
        }
    ).encode()


def multipart(name: str, content: bytes, content_type: str) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), boundary


# -- the servers -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped as one, and only it
    )


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for_http(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/categories/")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer in {STARTUP_SECONDS:.0f} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children that are still running."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


class SmtpSink:
    """An SMTP server in this process that counts each Message-ID it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.received: Counter[str] = Counter()
        self.port = free_port()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                for line in envelope.content.split(b"\r\n"):
                    if not line:
                        break
                    if line.lower().startswith(b"message-id:"):
                        sink.received[line.split(b":", 1)[1].strip().decode()] += 1
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


# -- the clients -------------------------------------------------------------------------


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    def __init__(self, port: int, tokens: list[str], png: bytes | None):
        self.port, self.tokens, self.png = port, tokens, png
        self.connection: http.client.HTTPConnection | None = None

    def _post(self, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.connection.request("POST", path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                    self.connection = None
                return response.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server had closed: once more on a new one.
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def file_one(self, n: int) -> tuple[str | None, str | None]:
        """(reference, None) when every answer was its 201, else (reference or None, error)."""
        token = self.tokens[n % len(self.tokens)]
        auth = {"Authorization": f"Token {token}"}
        status, data = self._post(
            "/api/v1/tickets/",
            filing_body(n),
            {**auth, "Content-Type": "application/json", "Accept": "application/json"},
        )
        if status != 201:
            return None, f"file {status}"
        reference = json.loads(data)["reference"]
        if self.png is not None:
            body, boundary = multipart("withdrawal.png", self.png, "image/png")
            status, _ = self._post(
                f"/api/v1/tickets/{reference}/attachments/",
                body,
                {**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"},
            )
            if status != 201:
                return reference, f"attach {status}"
        return reference, None


def run_clients(args, port, tokens, png, count, seconds, results: Results | None) -> float:
    """`count` filings or `seconds`, whichever ends first, by args.clients threads."""
    counter = iter(range(count))
    counter_lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop():
        client = Client(port, tokens, png)
        while time.monotonic() < deadline:
            with counter_lock:
                n = next(counter, None)
            if n is None:
                return
            began = time.perf_counter()
            try:
                reference, error = client.file_one(n + random.randrange(1 << 30))
            except OSError as exc:
                reference, error = None, type(exc).__name__
            elapsed = time.perf_counter() - began
            if results is None:
                continue
            with results.lock:
                if reference:
                    results.references.append(reference)
                if error:
                    results.errors[error] += 1
                else:
                    results.latencies.append(elapsed)

    threads = [threading.Thread(target=loop) for _ in range(args.clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def stored(references: list[str], screenshot: bool) -> tuple[int, int]:
    """How many of these references are stored tickets, and how many have their file."""
    from tickets.models import Attachment, Ticket

    rows = 0
    files = 0
    for start_at in range(0, len(references), 5000):
        chunk = references[start_at : start_at + 5000]
        rows += Ticket.objects.filter(reference__in=chunk).count()
        if screenshot:
            files += (
                Attachment.objects.filter(ticket__reference__in=chunk)
                .values("ticket")
                .distinct()
                .count()
            )
    return rows, files


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


# -- the runs ----------------------------------------------------------------------------


def throughput(args, port, tokens, png, gunicorn) -> None:
    print(f"warm-up: {args.warmup} filings ...", flush=True)
    run_clients(args, port, tokens, png, args.warmup, 120.0, None)
    results = Results()
    print(f"before: {load()}", flush=True)
    cpu_before = cpu_seconds(gunicorn.pid)
    elapsed = run_clients(args, port, tokens, png, args.count, args.seconds, results)
    cpu = cpu_seconds(gunicorn.pid) - cpu_before
    print(f"after:  {load()}")
    ok = len(results.latencies)
    rows, files = stored(results.references, args.screenshot)
    lost = len(results.references) - rows + ((ok - files) if args.screenshot else 0)
    kind = "with one screenshot each" if args.screenshot else "without attachments"
    print(
        f"{ok} filings {kind} in {elapsed:.1f} s by {args.clients} clients: "
        f"{ok / elapsed:.1f} tickets/s"
    )
    print(
        "latency of a filing: p50 {:.0f} ms, p95 {:.0f} ms, p99 {:.0f} ms, max {:.0f} ms".format(
            *tuple(
                1000 * v
                for v in (
                    percentile(results.latencies, 50),
                    percentile(results.latencies, 95),
                    percentile(results.latencies, 99),
                    max(results.latencies, default=float("nan")),
                )
            )
        )
    )
    print(f"gunicorn CPU: {1000 * cpu / max(ok, 1):.1f} ms per filing ({cpu:.1f} s)")
    print(f"errors: {sum(results.errors.values())} {dict(results.errors)}; lost: {lost}")


def surge(args, port, tokens, png, server) -> None:
    import redis

    from mail.models import Notification
    from tickets.models import Ticket

    with server["sink"] as sink:
        env = server["env"]
        tmp = server["tmp"]
        worker = start(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=WARNING",
                f"--concurrency={args.worker_concurrency}", "--without-gossip", "--without-mingle",
            ],
            env,
            tmp / "worker.log",
        )  # fmt: skip
        beat = start(
            [
                sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=WARNING",
                f"--schedule={tmp / 'celerybeat-schedule'}",
            ],
            env,
            tmp / "beat.log",
        )  # fmt: skip
        try:
            time.sleep(3)
            results = Results()
            first_id = (Ticket.objects.order_by("-id").values_list("id", flat=True).first()) or 0
            print(f"surge of {args.surge} filings; before: {load()}", flush=True)
            began = time.perf_counter()
            filed = run_clients(args, port, tokens, png, args.surge, 1e9, results)
            mailed = sum(sink.received.values())
            print(f"filed:  {load()}; receipts mailed by then: {mailed}", flush=True)
            ok = len(results.latencies)
            print(
                f"{ok} filed in {filed:.1f} s: {ok / filed:.1f} tickets/s; p50 %.0f ms, "
                "p95 %.0f ms, p99 %.0f ms; errors %s"
                % (
                    1000 * percentile(results.latencies, 50),
                    1000 * percentile(results.latencies, 95),
                    1000 * percentile(results.latencies, 99),
                    dict(results.errors),
                ),
                flush=True,
            )
            tickets = Ticket.objects.filter(id__gt=first_id, reference__in=results.references)
            receipts = Notification.objects.filter(
                key__startswith="ticket_filed:", ticket__in=tickets.values("id")
            )
            deadline = time.monotonic() + args.drain_seconds
            while time.monotonic() < deadline:
                sent = receipts.filter(state=Notification.State.SENT).count()
                if sent >= ok:
                    break
                time.sleep(1)
            drained = time.perf_counter() - began
            print(f"drained: {load()}")
            ids = list(receipts.values_list("message_id", flat=True))
            per_ticket = Counter(receipts.values_list("ticket_id", flat=True))
            got = [sink.received.get(f"<{m}>", 0) + sink.received.get(m, 0) for m in ids]
            rows, _ = stored(results.references, False)
            print(
                f"receipts: {sum(1 for g in got if g == 1)} of {ok} mailed exactly once; "
                f"not mailed {sum(1 for g in got if g == 0) + ok - len(per_ticket)}, "
                f"mailed twice or more {sum(1 for g in got if g > 1)}, "
                f"two receipt rows for a case {sum(1 for c in per_ticket.values() if c > 1)}"
            )
            done = "last receipt out" if sent >= ok else "stopped waiting (--drain-seconds)"
            print(
                f"surge: {ok} filings in {filed:.1f} s, {done} after {drained:.1f} s; "
                f"lost tickets {len(results.references) - rows}; tasks still queued "
                f"{redis.Redis.from_url(server['env']['CELERY_BROKER_URL']).llen('celery')}"
            )
        finally:
            stop(beat)
            stop(worker)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if "REDIS_URL" not in os.environ or "DATABASE_URL" not in os.environ:
        raise SystemExit("Set DATABASE_URL (PostgreSQL) and REDIS_URL (a Redis DB of your own).")
    tmp = Path(tempfile.mkdtemp(prefix="bench-filing-"))
    sink = SmtpSink()
    env = server_env(args, str(tmp / "evidence"), sink.port)
    os.environ.update(env)
    import django

    django.setup()
    import redis

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()  # this run's DB only
    tokens = prepare_customers(args.customers)
    png = screenshot_png() if args.screenshot else None
    if png:
        print(f"screenshot: 1280x800 PNG, {len(png) / 1024:.0f} KB")
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        f"--bind=127.0.0.1:{port}", f"--workers={args.workers}",
        f"--worker-class={args.worker_class}", f"--threads={args.threads}",
        "--backlog=2048", "--access-logfile=-" if os.environ.get("BENCH_ACCESS_LOG") else "--",
    ]  # fmt: skip
    command = [c for c in command if c != "--"]
    log = tmp / "gunicorn.log"
    gunicorn = start(command, env, log)
    try:
        wait_for_http(port, gunicorn, log)
        print(
            f"gunicorn: {args.workers} workers, {args.worker_class}, {args.threads} threads; "
            f"{args.clients} clients; {len(tokens)} customers"
        )
        if args.surge:
            surge(args, port, tokens, png, {"sink": sink, "env": env, "tmp": tmp})
        else:
            throughput(args, port, tokens, png, gunicorn)
    finally:
        stop(gunicorn)
        errors = [line for line in log.read_text().splitlines() if "Error" in line]
        if errors:
            print(f"gunicorn log ({log}):", *errors[-5:], sep="\n  ")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
