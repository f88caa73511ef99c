"""Live chat under load: 500 WebSocket clients in 250 chats, on PostgreSQL and Redis.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress_chatbench
    export REDIS_URL=redis://127.0.0.1:6379/6
    uv run --no-sync python bench/chat_load.py --chats 250 --duration 60

It seeds (set-based) a customer per chat and an agent per three chats (the default limit),
each agent with a confirmed TOTP device, and one database session per person marked as
django-otp's middleware marks a session that passed the code (`otp_device_id`). The
previous run's open chats are ended. Then each chat is put into the active state through
the services, as the pages would: `chat_start` (the bot answers), `chat_request_person`
(which offers it to the least busy agent), `chat_accept` by that agent.

It serves the production shape on loopback with the production settings (DEBUG off, the
Redis channel layer and cache): HTTP from gunicorn as the Dockerfile runs it (gthread,
`--workers` processes of 8 threads, persistent database connections) and the WebSockets
from uvicorn as docker-compose's `asgi` service runs it (two processes; `--ws daphne` for
one daphne), the two on ports of their own as Caddy routes /ws/ and the rest. `--http
asgi` serves both from uvicorn instead (the demo's one-process shape). Then the load
generator (bench/chat_client.py) in `--client-procs` processes, each with a share of the
chats and both their sides. Every client sends through POST messages/ (persist
first), its peer sees the push "message N", reads GET messages/?after=N and sends "read",
as chat.js does. At `--drop-after` seconds, `--drop` clients (half customers, half agents,
in different chats) lose their connection at once, stay away `--offline` seconds, come
back and catch up with ?after=N.

Printed: the latency from the send to the peer's push and to the peer having the body
(p50/p95/p99; overall and outside the reconnect storm), the POST and GET times, messages
per second, the lost and duplicated counts (each client's check of its peer's sequence
and the final ?after=0 read of every chat against what both sides sent), the reconnect's
times, the CPU seconds of the server and the load generator, and the load average beside
each figure (the machine is shared).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

TARGET_P95_MS = 100.0
MAX_DURATION = 600
MAX_CHATS = 1000
HOST = "127.0.0.1"
EMAIL = "bench-chat-{kind}-{n:05d}@example.com"
STARTUP_SECONDS = 60.0
ACCESS_LOG = Path(tempfile.gettempdir()) / "chat-load-access.log"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=250, help=f"at most {MAX_CHATS}")
    parser.add_argument("--duration", type=float, default=60.0, help=f"at most {MAX_DURATION}")
    parser.add_argument(
        "--interval", type=float, default=30.0, help="mean seconds between one client's messages"
    )
    parser.add_argument("--per-agent", type=int, default=3, help="chats per agent (their limit)")
    parser.add_argument(
        "--http",
        choices=("gunicorn", "asgi"),
        default="gunicorn",
        help="gunicorn beside the sockets server, as in production; or everything from uvicorn",
    )
    parser.add_argument("--workers", type=int, default=2, help="HTTP worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument(
        "--ws",
        choices=("uvicorn", "daphne"),
        default="uvicorn",
        help="the WebSocket server beside gunicorn (docker-compose's asgi service runs uvicorn)",
    )
    parser.add_argument(
        "--ws-workers", type=int, default=2, help="uvicorn's WebSocket processes (as compose)"
    )
    parser.add_argument(
        "--http-limit",
        type=int,
        default=8,
        help="with --http asgi: HTTP requests inside Django at once per worker"
        " (bench/chat_asgi.py); 0: no limit",
    )
    parser.add_argument("--client-procs", type=int, default=2, help="load generator processes")
    parser.add_argument("--drop", type=int, default=100, help="clients that drop at once")
    parser.add_argument("--drop-after", type=float, default=None, help="default: 2/3 of the run")
    parser.add_argument("--offline", type=float, default=1.0, help="seconds a dropped one is away")
    parser.add_argument("--drain", type=float, default=15.0, help="seconds to wait at the end")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--keep", action="store_true", help="reuse the last run's active chats (new sessions)"
    )
    parser.add_argument(
        "--dump", default="", help="write every side's timings (the clients' reports) as JSON here"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.chats <= MAX_CHATS:
        parser.error(f"--chats must be 1..{MAX_CHATS}")
    if not 1 <= args.duration <= MAX_DURATION:
        parser.error(f"--duration must be 1..{MAX_DURATION}")
    if args.interval < 0.05:
        parser.error("--interval must be at least 0.05 s")
    args.drop = max(0, min(args.drop, 2 * args.chats))
    if args.drop_after is None:
        args.drop_after = args.duration * 2 / 3
    return args


def server_env() -> dict:
    """Production settings on loopback: the secrets they demand, made up for this run."""
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            raise SystemExit(f"set {name}: the benchmark runs on PostgreSQL and Redis")
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
    }


# Django's advice for HTTP under ASGI: no persistent connections. Each request runs in a
# thread of its own, and with CONN_MAX_AGE=60 every such thread left its connection open:
# PostgreSQL ran out of connections within a minute. (Serving sockets alone, as daphne does
# in the production shape, every database call runs on the executor's few threads, which
# keep their connections.)
ASGI_HTTP_ENV = {"DATABASE_CONN_MAX_AGE": "0"}


def clear_channel_layer() -> None:
    """Forget the groups a stopped server left behind (members that no socket reads)."""
    import redis
    from django.conf import settings

    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    stale = list(client.scan_iter(match=f"{prefix}*", count=1000))
    for start in range(0, len(stale), 1000):
        client.delete(*stale[start : start + 1000])
    client.close()


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def machine_ticks() -> list[int]:
    """The machine's CPU ticks since boot: user nice system idle iowait irq softirq steal."""
    return [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def machine_share(before: list[int], after: list[int]) -> tuple[float, float]:
    """(busy, stolen) as fractions of the interval's ticks. Stolen is the time the host gave
    this virtual machine's cores to others: on a shared host the same work runs slower."""
    delta = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(delta) or 1
    return (total - delta[3] - delta[4] - delta[7]) / total, delta[7] / total


# --- the people, their sessions and the active chats ---------------------------------


def seed(chats: int, per_agent: int, keep: bool = False) -> list[dict]:
    """Customers, agents, devices and sessions (set-based), and `chats` active chats."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import roles
    from accounts.models import CustomerProfile, User
    from chat import services
    from chat.models import OPEN_STATES, Chat, ChatAgent, ChatState

    agents = -(-chats // per_agent)
    wanted = [EMAIL.format(kind="customer", n=n) for n in range(chats)]
    wanted += [EMAIL.format(kind="agent", n=n) for n in range(agents)]
    existing = set(User.objects.filter(email__in=wanted).values_list("email", flat=True))
    now = timezone.now()
    unusable = make_password(None)
    User.objects.bulk_create(
        [
            User(
                email=email,
                full_name=email.split("@")[0].replace("-", " ").title(),
                password=unusable,
                is_staff="-agent-" in email,
                email_verified_at=now,
            )
            for email in wanted
            if email not in existing
        ]
    )
    users = {u.email: u for u in User.objects.filter(email__in=wanted)}
    customers = [users[EMAIL.format(kind="customer", n=n)] for n in range(chats)]
    staff = [users[EMAIL.format(kind="agent", n=n)] for n in range(agents)]
    groups = {g.name: g.pk for g in Group.objects.filter(name__in=[roles.CUSTOMER, roles.AGENT])}
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=groups[roles.CUSTOMER]) for u in customers]
        + [User.groups.through(user_id=u.pk, group_id=groups[roles.AGENT]) for u in staff],
        ignore_conflicts=True,
    )
    CustomerProfile.objects.bulk_create(
        [CustomerProfile(user_id=u.pk, exchange_uid=str(39_000_000 + u.pk)) for u in customers],
        ignore_conflicts=True,
    )
    TOTPDevice.objects.bulk_create(
        [
            TOTPDevice(user=u, name="Bench chat authenticator", confirmed=True)
            for u in staff
            if not TOTPDevice.objects.filter(user=u).exists()
        ]
    )
    devices = {d.user_id: d for d in TOTPDevice.objects.filter(user__in=staff, confirmed=True)}

    kept = list(
        Chat.objects.filter(customer__in=customers, agent__in=staff, state=ChatState.ACTIVE)
    )
    if keep and len(kept) == chats:
        print(f"kept the last run's {chats} active chats  [{load()}]")
        return sessions_for(kept, [*customers, *staff], devices, now)
    # The last run's chats end; every agent is available with the per-agent limit.
    Chat.objects.filter(customer__in=customers, state__in=OPEN_STATES).update(
        state=ChatState.ENDED, ended_at=now
    )
    Chat.objects.filter(agent__in=staff, state__in=OPEN_STATES).update(
        state=ChatState.ENDED, ended_at=now
    )
    ChatAgent.objects.bulk_create(
        [ChatAgent(user=u, available=True, max_chats=per_agent) for u in staff],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["available", "max_chats"],
    )
    # Other agents in this database (tests, the demo) take no bench chat.
    ChatAgent.objects.exclude(user__in=staff).update(available=False)

    started = time.perf_counter()
    opened = []
    for customer in customers:
        chat = services.chat_start(customer=customer, message="bench: my withdrawal is late")
        services.chat_request_person(chat=chat, actor=customer)
        opened.append(chat.pk)
    for chat in Chat.objects.filter(pk__in=opened).select_related("agent"):
        if chat.state != ChatState.OFFERED:
            raise SystemExit(f"chat {chat.pk} is {chat.state}, not offered: is an agent missing?")
        services.chat_accept(chat=chat, actor=chat.agent)
    active = Chat.objects.filter(pk__in=opened, state=ChatState.ACTIVE).count()
    print(
        f"seeded: {chats} chats active ({active}) with {agents} agents through the services"
        f" in {time.perf_counter() - started:.1f} s  [{load()}]"
    )

    return sessions_for(
        Chat.objects.filter(pk__in=opened).order_by("pk"), [*customers, *staff], devices, now
    )


def sessions_for(chats, users, devices: dict, now) -> list[dict]:
    """A session per person, as the sign-in leaves it (for staff: after the code)."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string
    from django_otp import DEVICE_ID_SESSION_KEY

    backend = settings.AUTHENTICATION_BACKENDS[-1]
    expire = now + timezone.timedelta(days=1)
    people = {u.pk: u for u in users}
    sessions, keys, csrf = [], {}, {}
    for user in people.values():
        data = {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": backend,
            "_auth_user_hash": user.get_session_auth_hash(),
        }
        if user.pk in devices:
            data[DEVICE_ID_SESSION_KEY] = devices[user.pk].persistent_id
        keys[user.pk] = get_random_string(32)
        csrf[user.pk] = get_random_string(32)
        sessions.append(
            Session(
                session_key=keys[user.pk],
                session_data=SessionStore().encode(data),
                expire_date=expire,
            )
        )
    Session.objects.bulk_create(sessions)

    def side(user_id: int) -> dict:
        return {
            "cookie": f"{settings.SESSION_COOKIE_NAME}={keys[user_id]}; "
            f"{settings.CSRF_COOKIE_NAME}={csrf[user_id]}",
            "csrf": csrf[user_id],
        }

    # The run reads and checks what comes after `base_seq` (a kept chat has a history).
    return [
        {
            "id": chat.pk,
            "base_seq": chat.last_seq,
            "customer": side(chat.customer_id),
            "agent": side(chat.agent_id),
        }
        for chat in chats
    ]


# --- the server and the load generator ------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(f) for f in fields[11:15]) / ticks


def postgres_cpu() -> float:
    """The CPU of every PostgreSQL process on the machine (its backends do the chat's SQL)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            if stat.read_text().split(" (", 1)[1].startswith("postgres)"):
                total += cpu_seconds(int(stat.parent.name))
    return total


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        found += [int(c) for c in children]
        todo += [int(c) for c in children]
    return found


def gunicorn_command(port: int, workers: int, threads: int) -> list[str]:
    """The Dockerfile's CMD on a loopback port."""
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
    command += ["--bind", f"{HOST}:{port}", "--workers", str(workers)]
    command += ["--worker-class", "gthread", "--threads", str(threads)]
    command += ["--forwarded-allow-ips", "*"]
    command += ["--log-level", "warning", "--backlog", "4096", "--keep-alive", "120"]
    # Each request's time inside gunicorn (microseconds), for the report beside the clients'.
    return [*command, "--access-logfile", str(ACCESS_LOG), "--access-logformat", "%(m)s %(D)s"]


def server_times() -> dict[str, list[float]]:
    """Milliseconds inside gunicorn per method, from its access log."""
    times: dict[str, list[float]] = {}
    with contextlib.suppress(OSError), open(ACCESS_LOG) as log:
        for line in log:
            method, _, micros = line.strip().rpartition(" ")
            times.setdefault(method, []).append(int(micros) / 1000)
    return times


def ws_processes(args) -> int:
    """How many processes serve the sockets: daphne is one, whatever --ws-workers says."""
    return 1 if args.ws == "daphne" else args.ws_workers


def daphne_command(port: int) -> list[str]:
    """The sockets server docker-compose ran up to session 8, on a loopback port."""
    command = [sys.executable, "-m", "daphne", "--bind", HOST, "--port", str(port)]
    return [*command, "--proxy-headers", "--verbosity", "0", "config.asgi:application"]


def uvicorn_command(port: int, workers: int, app: str = "bench.chat_asgi:application") -> list[str]:
    command = [sys.executable, "-m", "uvicorn", app]
    command += ["--host", HOST, "--port", str(port), "--workers", str(workers)]
    # Keep-alive as long as a proxy keeps its upstream connections; no lifespan in Django.
    command += ["--timeout-keep-alive", "120", "--lifespan", "off", "--ws", "websockets-sansio"]
    command += ["--log-level", "warning", "--no-access-log", "--backlog", "4096"]
    return [*command, "--timeout-graceful-shutdown", "5"]


@contextmanager
def serving(name: str, command: list[str], env: dict, port: int, procs: int):
    """A server in a session of its own (stopped with its workers, never left behind),
    yielded once it listens and its `procs` processes have imported Django."""
    with open(Path(tempfile.gettempdir()) / f"chat-load-{name}.log", "w+") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"{name} exited with {process.returncode}")
                try:
                    with socket.create_connection((HOST, port), timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"{name} did not start listening") from None
                    time.sleep(0.2)
            time.sleep(1.0 * procs)  # every worker imported Django, not only the first
            yield process
        finally:
            stop_group(process)
            log.seek(0)
            errors = [line for line in log.read().splitlines() if line.strip()]
            if errors:
                print(f"{name} log {log.name} ({len(errors)} lines), last:", file=sys.stderr)
                print("\n".join(errors[-15:]), file=sys.stderr)


@contextmanager
def servers(env: dict, args):
    """(the server processes, the HTTP port, the WebSocket port)."""
    http_port = free_port()
    if args.http == "asgi":
        asgi_env = {**env, **ASGI_HTTP_ENV, "REDRESS_BENCH_HTTP_LIMIT": str(args.http_limit)}
        command = uvicorn_command(http_port, args.workers)
        with serving("uvicorn", command, asgi_env, http_port, args.workers) as server:
            yield [server], http_port, http_port
        return
    ws_port = free_port()
    ACCESS_LOG.unlink(missing_ok=True)
    command = gunicorn_command(http_port, args.workers, args.threads)
    if args.ws == "uvicorn":
        # docker-compose's `asgi` service on a loopback port.
        sockets = uvicorn_command(ws_port, args.ws_workers, "config.asgi:application")
        sockets += ["--proxy-headers", "--forwarded-allow-ips", "*"]
    else:
        sockets = daphne_command(ws_port)
    with (
        serving("gunicorn", command, env, http_port, args.workers) as web,
        serving(args.ws, sockets, env, ws_port, ws_processes(args)) as ws,
    ):
        yield [web, ws], http_port, ws_port


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (its own session), SIGKILL if it lingers."""
    group = os.getpgid(process.pid)
    os.killpg(group, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    process.wait()


def plans(args, chats: list[dict], port: int, ws_port: int) -> list[dict]:
    # The dropped clients: in different chats spread over all, customers and agents alike.
    step = max(1, len(chats) // max(1, args.drop)) if args.drop <= len(chats) else 1
    drops: dict[int, list[str]] = {}
    picked = 0
    for n in range(0, len(chats), step):
        if picked >= args.drop:
            break
        drops.setdefault(n, []).append("customer" if picked % 2 == 0 else "agent")
        picked += 1
    n = 0
    while picked < args.drop:  # more drops than chats: the other side as well
        if len(drops.setdefault(n, [])) < 2:
            drops[n].append("agent" if "customer" in drops[n] else "customer")
            picked += 1
        n += 1
    shards = []
    for shard in range(args.client_procs):
        own = [
            {**chat, "drop": drops.get(n, [])}
            for n, chat in enumerate(chats)
            if n % args.client_procs == shard
        ]
        shards.append(
            {
                "host": HOST,
                "port": port,
                "ws_port": ws_port,
                "duration": args.duration,
                "interval": args.interval,
                "drop_after": args.drop_after,
                "offline": args.offline,
                "drain": args.drain,
                "seed": args.seed * 1000 + shard,
                "chats": own,
            }
        )
    return shards


def run_clients(shards: list[dict], servers: list) -> tuple[list[dict], dict]:
    workdir = tempfile.mkdtemp(prefix="chat-load-")
    procs = []
    for n, shard in enumerate(shards):
        path = Path(workdir) / f"plan-{n}.json"
        path.write_text(json.dumps(shard))
        procs.append(
            subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "chat_client.py"), str(path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    connecting, retries = time.perf_counter(), 0
    for proc in procs:
        said = []
        while not said or '"ready"' not in said[-1]:
            said.append(proc.stderr.readline())
            if not said[-1]:
                proc.wait()
                raise SystemExit("a client process failed to connect:\n" + "".join(said))
        retries += json.loads(said[-1]).get("retries", 0)
    connected_s = time.perf_counter() - connecting
    sockets = sum(2 * len(s["chats"]) for s in shards)
    print(f"{sockets} WebSockets open in {connected_s:.1f} s ({retries} retried)  [{load()}]")
    server_pids = [[s.pid, *descendants(s.pid)] for s in servers]

    def server_cpu() -> list[float]:
        return [sum(cpu_seconds(p) for p in pids) for pids in server_pids]

    before = {
        "server": server_cpu(),
        "clients": sum(cpu_seconds(p.pid) for p in procs),
        "postgres": postgres_cpu(),
        "machine": machine_ticks(),
    }
    start_at = time.time() + 1.0
    for proc in procs:
        proc.stdin.write(f"{start_at}\n")
        proc.stdin.flush()
    loads = {}
    duration = shards[0]["duration"]
    marks = {"start": 0.0, "drop": shards[0]["drop_after"], "end": duration}
    for name, offset in sorted(marks.items(), key=lambda item: item[1]):
        time.sleep(max(0.0, start_at + offset - time.time()))
        loads[name] = load()
    # The run's CPU, read before the processes exit (the final checks are not in it).
    after_server = server_cpu()
    after_clients = sum(cpu_seconds(p.pid) for p in procs)
    after_postgres = postgres_cpu()
    busy, stolen = machine_share(before["machine"], machine_ticks())
    results = []
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"a client process failed ({proc.returncode}):\n{err[-3000:]}")
        results.append(json.loads(out))
    cpu = {
        "server": sum(after_server) - sum(before["server"]),
        "servers": [a - b for a, b in zip(after_server, before["server"], strict=True)],
        "clients": after_clients - before["clients"],
        "postgres": after_postgres - before["postgres"],
        "busy": busy,
        "stolen": stolen,
        "wall": duration,
    }
    return results, {"loads": loads, "cpu": cpu, "start_at": start_at}


# --- the report -----------------------------------------------------------------------


def pct(values: list[float], n: int) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(n / 100 * len(ordered)) - 1))]


def figures(values: list[float]) -> str:
    if not values:
        return "none"
    return (
        f"p50 {pct(values, 50):7.1f}  p95 {pct(values, 95):7.1f}  p99 {pct(values, 99):7.1f}"
        f"  max {max(values):7.1f} ms  (n={len(values)})"
    )


def shape(args) -> str:
    if args.http == "asgi":
        limit = args.http_limit or "unlimited"
        return f"uvicorn {args.workers} workers (at most {limit} HTTP requests in each)"
    http = f"gunicorn {args.workers} x {args.threads} threads"
    return f"HTTP: {http}; WebSockets: {args.ws} x {ws_processes(args)}"


def report(args, results: list[dict], meta: dict) -> bool:
    sides = [side for result in results for side in result["sides"]]
    checks = [check for result in results for check in result["checks"]]
    loads = meta["loads"]
    storm = (args.drop_after - 0.5, args.drop_after + args.offline + 5.0) if args.drop else None

    def split(key: str) -> tuple[list[float], list[float]]:
        every = [ms for side in sides for _at, ms in side[key]]
        calm = [
            ms
            for side in sides
            for at, ms in side[key]
            if storm is None or not storm[0] <= at <= storm[1]
        ]
        return every, calm

    push_all, push_calm = split("push_ms")
    body_all, body_calm = split("body_ms")
    sent = sum(side["sent"] for side in sides)
    post = [ms for side in sides for ms in side["post_ms"]]
    get = [ms for side in sides for ms in side["get_ms"]]
    run_load = f"[start {loads['start']}; end {loads['end']}]"
    print(
        f"\n{len(sides)} clients in {len(checks)} chats for {args.duration:.0f} s, one message"
        f" per {args.interval:g} s per client on average; {shape(args)},"
        f" {args.client_procs} load processes"
    )
    print(f"messages sent (201):   {sent}  = {sent / args.duration:.1f} per second  {run_load}")
    print(f"send -> peer's push:   {figures(push_all)}  {run_load}")
    print(f"send -> peer has body: {figures(body_all)}  {run_load}")
    if storm:
        print(f"  outside the storm ({storm[0]:.0f}-{storm[1]:.0f} s):")
        print(f"  send -> push:        {figures(push_calm)}")
        print(f"  send -> body:        {figures(body_calm)}")
    print(f"POST messages/:        {figures(post)}")
    print(f"GET messages/?after=N: {figures(get)}")
    if args.http == "gunicorn":
        inside = server_times()
        print("  inside gunicorn (the run and the final reads):")
        print(f"  POST:                {figures(inside.get('POST', []))}")
        print(f"  GET:                 {figures(inside.get('GET', []))}")
    cpu = meta["cpu"]
    print(
        f"CPU seconds in the {cpu['wall']:.0f} s: server {cpu['server']:.1f}"
        f" ({cpu['server'] / cpu['wall']:.2f} cores), load generator {cpu['clients']:.1f}"
        f" ({cpu['clients'] / cpu['wall']:.2f} cores)"
    )
    names = ["uvicorn"] if args.http == "asgi" else ["gunicorn", args.ws]
    split = ", ".join(f"{n} {c:.1f}" for n, c in zip(names, cpu["servers"], strict=True))
    print(f"  server by process: {split}; PostgreSQL {cpu['postgres']:.1f}")
    print(
        f"  the machine's cores: {100 * cpu['busy']:.0f} % busy,"
        f" {100 * cpu['stolen']:.1f} % stolen by the host"
    )

    lost = sum(side["peer_missing"] for side in sides)
    duplicated = sum(side["peer_duplicated"] for side in sides)
    disorder = sum(not side["peer_in_order"] for side in sides)
    shown_dup = sum(side["shown_duplicates"] for side in sides)
    shown_gap = sum(side["shown_gaps"] for side in sides)
    errors = sum(side["error_count"] for side in sides)
    print(
        f"\nclients' checks: peer messages lost {lost}, duplicated {duplicated},"
        f" out of order in {disorder} clients; seq shown twice {shown_dup}, seq gaps"
        f" {shown_gap}; errors {errors}"
    )
    print(
        f"pushes: {sum(s['pushes'] for s in sides)} received, duplicates"
        f" {sum(s['push_duplicates'] for s in sides)}, never pushed to a connection"
        f" {sum(s['push_gaps'] for s in sides)} (read with ?after=N all the same)"
    )
    for side in sides:
        if side["errors"]:
            print(f"  chat {side['chat']} {side['side']}: {side['errors'][:3]}")
    final_bad = 0
    totals = {"sent": 0, "stored": 0, "missing": 0, "duplicated": 0, "unacknowledged": 0}
    for check in checks:
        if "error" in check:
            final_bad += 1
            print(f"  final read of chat {check['chat']}: {check['error']}")
            continue
        bad = not check["seq_contiguous"]
        for name in ("customer", "agent"):
            for key in totals:
                totals[key] += check[name][key]
            bad |= bool(check[name]["missing"] or check[name]["duplicated"])
            bad |= not check[name]["in_order"]
        final_bad += bad
    print(
        f"final GET ?after=0 of every chat: sent {totals['sent']}, stored {totals['stored']},"
        f" missing {totals['missing']}, duplicated {totals['duplicated']}, stored without a"
        f" 201 {totals['unacknowledged']}; chats not exact {final_bad}"
    )

    recovered = [side["recovery"] for side in sides if side["recovery"]]
    if args.drop:
        print(
            f"\nreconnect storm: {args.drop} clients dropped at {args.drop_after:.0f} s, away"
            f" {args.offline:g} s  [{loads['drop']}]"
        )
        print(f"  came back and caught up: {len(recovered)} of {args.drop}")
        if recovered:
            connect = [r["connect_ms"] for r in recovered]
            caught = [r["caught_up_ms"] for r in recovered]
            missed = [r["missed"] for r in recovered]
            first = meta["start_at"] + args.drop_after + args.offline
            last = max(r["caught_up_at"] for r in recovered) - first
            print(f"  socket open again:     {figures(connect)}")
            print(f"  caught up (?after=N):  {figures(caught)}")
            print(
                f"  all {len(recovered)} caught up {last * 1000:.0f} ms after they came back;"
                f" messages missed while away and read on return: {sum(missed)}"
                f" (max {max(missed)} per client)"
            )
    ok = not (lost or duplicated or disorder or shown_dup or final_bad or errors)
    ok &= len(recovered) == args.drop
    p95 = pct(push_all, 95), pct(body_all, 95)
    print(
        f"\ntarget p95 < {TARGET_P95_MS:.0f} ms: push {p95[0]:.1f} ms, body {p95[1]:.1f} ms:"
        f" {'met' if max(p95) < TARGET_P95_MS else 'MISSED'}; exactly once:"
        f" {'yes' if ok else 'NO'}  {run_load}"
    )
    return ok


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # Stopped from outside (timeout, ^C): unwind, so the server's group is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    env = server_env()
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connections

    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    clear_channel_layer()
    chats = seed(args.chats, args.per_agent, keep=args.keep)
    connections.close_all()
    with servers(env, args) as (processes, http_port, ws_port):
        results, meta = run_clients(plans(args, chats, http_port, ws_port), processes)
    if args.dump:
        Path(args.dump).write_text(json.dumps({"results": results, "meta": meta}))
    ok = report(args, results, meta)
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
