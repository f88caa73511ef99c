"""Live chat under load: WebSocket clients in pairs (a customer and their agent) per chat.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress_bench REDIS_URL=redis://127.0.0.1:6379/1 \
        uv run python bench/chat_ws.py --chats 250 --seconds 60 --interval 5 --drop 100

It makes `--chats` active chats through the services (new customers and agents each run,
named bench-chat-<run>-…: chat events are append-only, so nothing is deleted), starts an
ASGI server (uvicorn, `--workers`, the Redis channel layer) and connects two sockets per
chat with the users' sessions (staff with the second factor done). Every client posts a
message through the REST API every `--interval` seconds (jittered), as the browser does,
and records each "message N added" its socket announces. Half way through, `--drop`
clients close their socket, reconnect at once and catch up with GET messages/?after=N.

Printed: delivery latency (from the sender's POST to the other side's announcement)
p50/p95/p99, messages per second, the reconnects' time to be back and caught up, and the
sequence check: for every client, every message of its chat exactly once (announced or
caught up), none lost, none twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # Every client posts from 127.0.0.1 with its own token: no limit is what is measured.
        "REDRESS_THROTTLE_USER": "100000/min",
        # Under ASGI each request runs in a thread of its own: persistent connections would
        # be one per request in flight, kept open (docker-compose.yml's `asgi` sets 0 too).
        "DATABASE_CONN_MAX_AGE": "0",
    }
)
TARGET_P95_MS = 100.0


def percentile(values: list[float], n: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[n - 1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed(chats: int, run: str):
    """`chats` active chats: (chat id, customer session/token, agent session/token)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from accounts.tokens import token_issue
    from chat import services
    from chat.models import ChatAgent
    from tests.factories import AgentFactory, CustomerFactory

    def session(user, device=None) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if device is not None:
            store[DEVICE_ID_SESSION_KEY] = device.persistent_id
        store.create()
        return store.session_key

    def credentials(user, device=None):
        return session(user, device), token_issue(user=user, name="bench")[1]

    # Only this run's agents take this run's chats.
    ChatAgent.objects.filter(available=True).update(available=False)
    agents = []
    for index in range(-(-chats // 3)):
        agent = AgentFactory(email=f"bench-chat-{run}-agent{index}@example.com")
        device = TOTPDevice.objects.create(user=agent, name="bench", confirmed=True)
        ChatAgent.objects.create(user=agent, max_chats=3)
        agents.append((agent, credentials(agent, device)))
    made = []
    for index in range(chats):
        customer = CustomerFactory(email=f"bench-chat-{run}-customer{index}@example.com")
        chat = services.chat_start(customer=customer, message=f"bench chat {index}")
        made.append((chat, customer))
    by_agent = {agent.pk: creds for agent, creds in agents}
    for agent, _creds in agents:
        services.chat_availability_set(agent=agent, available=True)
    result = []
    for chat, customer in made:
        services.chat_request_person(chat=chat, actor=customer)
        chat.refresh_from_db()
        agent = User.objects.get(pk=chat.agent_id)
        services.chat_accept(chat=chat, actor=agent)
        result.append((chat.pk, credentials(customer), by_agent[agent.pk]))
    return result


class Http:
    """A keep-alive HTTP/1.1 connection (the bench needs no client library for a POST)."""

    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None
        self.lock = asyncio.Lock()  # one request at a time on the connection

    async def request(self, method: str, path: str, token: str, body: dict | None = None):
        async with self.lock:
            try:
                return await self._request(method, path, token, body)
            except (ConnectionError, asyncio.IncompleteReadError, IndexError):
                # The server closed an idle keep-alive connection: once more on a new one.
                self.writer = None
                return await self._request(method, path, token, body)

    async def _request(self, method: str, path: str, token: str, body: dict | None = None):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        payload = json.dumps(body).encode() if body is not None else b""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Token {token}\r\nAccept: application/json\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        self.writer.write(head.encode() + payload)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        headers = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        else:  # chunked
            data = b""
            while (size := int((await self.reader.readline()).strip(), 16)) != 0:
                data += await self.reader.readexactly(size)
                await self.reader.readline()
            await self.reader.readline()
        return status, json.loads(data) if data else None


class Client:
    def __init__(self, bench, chat_id: int, side: str, session: str, token: str):
        self.bench, self.chat_id, self.side = bench, chat_id, side
        self.session, self.token = session, token
        self.seen: dict[int, int] = defaultdict(int)  # seq -> announced or caught up
        self.pushed: dict[int, int] = defaultdict(int)  # seq -> times announced
        self.http = Http(bench.port)
        self.socket = None
        self.listener = None

    async def connect(self):
        import websockets

        self.socket = await websockets.connect(
            f"ws://127.0.0.1:{self.bench.port}/ws/chats/{self.chat_id}/",
            origin=f"http://127.0.0.1:{self.bench.port}",
            additional_headers={"Cookie": f"{self.bench.cookie}={self.session}"},
            open_timeout=30,
        )
        self.listener = asyncio.create_task(self.listen())

    async def listen(self):
        import websockets

        try:
            async for raw in self.socket:
                payload = json.loads(raw)
                if payload.get("type") == "message":
                    now = time.monotonic()
                    self.seen[payload["seq"]] = 1
                    self.pushed[payload["seq"]] += 1
                    self.bench.received[(self.chat_id, payload["seq"], self.side)] = now
        except websockets.ConnectionClosed:
            pass

    async def catch_up(self):
        """GET messages/?after=<the last seq with none missing before it>, page by page."""
        after = 0
        while after + 1 in self.seen:
            after += 1
        while True:
            status, data = await self.http.request(
                "GET", f"/api/v1/chats/{self.chat_id}/messages/?after={after}", self.token
            )
            if status != 200:  # counted, and asked again: the check needs every message
                self.bench.errors.append((status, data))
                await asyncio.sleep(0.5)
                continue
            for message in data["results"]:
                if self.seen.get(message["seq"], 0) == 0:
                    self.seen[message["seq"]] += 1
                    self.bench.caught_up += 1
            after = data["last_seq"]
            if not data["more"]:
                return

    async def talk(self, until: float, interval: float):
        await asyncio.sleep(random.uniform(0, interval))
        while time.monotonic() < until:
            started = time.monotonic()
            status, data = await self.http.request(
                "POST",
                f"/api/v1/chats/{self.chat_id}/messages/",
                self.token,
                {"body": f"{self.side} says hello at {started:.3f}"},
            )
            if status != 201:
                self.bench.errors.append((status, data))
            else:
                self.bench.sent[(self.chat_id, data["seq"])] = (started, self.side)
            await asyncio.sleep(max(0.0, interval * random.uniform(0.8, 1.2)))

    async def drop_and_return(self):
        import websockets

        started = time.monotonic()
        await self.socket.close()
        await self.listener
        for _attempt in range(20):  # as chat.js does: again, later each time
            try:
                await self.connect()
                break
            except (OSError, websockets.InvalidStatus, TimeoutError) as error:
                self.bench.errors.append(("reconnect", str(error)))
                await asyncio.sleep(0.5 * (_attempt + 1))
        await self.catch_up()
        self.bench.reconnects.append(time.monotonic() - started)


class Bench:
    def __init__(self, port: int):
        from django.conf import settings

        self.port = port
        self.cookie = settings.SESSION_COOKIE_NAME
        self.sent: dict[tuple[int, int], tuple[float, str]] = {}
        self.received: dict[tuple[int, int, str], float] = {}
        self.errors: list = []
        self.reconnects: list[float] = []
        self.caught_up = 0


async def drive(port: int, chats, seconds: float, interval: float, drop: int):
    bench = Bench(port)
    clients = []
    for chat_id, (c_session, c_token), (a_session, a_token) in chats:
        clients.append(Client(bench, chat_id, "customer", c_session, c_token))
        clients.append(Client(bench, chat_id, "agent", a_session, a_token))
    connect_started = time.monotonic()
    for start in range(0, len(clients), 50):
        await asyncio.gather(*(c.connect() for c in clients[start : start + 50]))
    print(f"{len(clients)} sockets connected in {time.monotonic() - connect_started:.1f} s")
    await asyncio.gather(*(c.catch_up() for c in clients))
    bench.caught_up = 0
    started = time.monotonic()
    until = started + seconds

    async def drop_half_way():
        await asyncio.sleep(seconds / 2)
        await asyncio.gather(*(c.drop_and_return() for c in random.sample(clients, drop)))

    await asyncio.gather(*(c.talk(until, interval) for c in clients), drop_half_way())
    elapsed = time.monotonic() - started
    await asyncio.sleep(2)  # the last announcements
    await asyncio.gather(*(c.catch_up() for c in clients))
    for client in clients:
        await client.socket.close()
    return bench, clients, elapsed


def check_sequences(clients) -> tuple[int, int]:
    """(lost, announced twice) over every client against the database's messages of its chat."""
    from chat.models import ChatMessage

    expected = defaultdict(set)
    for chat_id, seq in ChatMessage.objects.filter(
        chat_id__in={c.chat_id for c in clients}, internal=False
    ).values_list("chat_id", "seq"):
        expected[chat_id].add(seq)
    lost = duplicated = 0
    for client in clients:
        lost += len(expected[client.chat_id] - {s for s, n in client.seen.items() if n})
        # Twice means announced twice (a late announcement of a message already caught up
        # is not: the page shows each number once either way).
        duplicated += sum(n - 1 for n in client.pushed.values() if n > 1)
    return lost, duplicated


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=250)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--interval", type=float, default=5.0, help="seconds between a client's messages"
    )
    parser.add_argument("--drop", type=int, default=100, help="clients that drop and reconnect")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument(
        "--reuse", type=Path, help="the chats a run seeded (it names the file it writes)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    # The bench's own users need no strong password hash (it would be most of the seeding).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    if (
        connection.vendor != "postgresql"
        or "Redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]
    ):
        raise SystemExit("set DATABASE_URL (PostgreSQL) and REDIS_URL (see bench/README.md)")
    if args.reuse:
        chats = [tuple(row) for row in json.loads(args.reuse.read_text())][: args.chats]
        print(f"reusing {len(chats)} chats from {args.reuse}")
    else:
        run = uuid.uuid4().hex[:6]
        seeding = time.monotonic()
        chats = seed(args.chats, run)
        saved = ROOT / "var" / f"bench_chat_{run}.json"
        saved.parent.mkdir(exist_ok=True)
        saved.write_text(json.dumps(chats))
        print(f"seeded {len(chats)} active chats in {time.monotonic() - seeding:.1f} s ({saved})")
    connection.close()

    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port)]
    command += ["--workers", str(args.workers), "--ws", "websockets-sansio"]
    command += ["--log-level", "warning", "--no-access-log", "--timeout-keep-alive", "75"]
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log, env=os.environ)
        try:
            deadline = time.monotonic() + 180  # two workers importing Django on a busy box
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the ASGI server did not start") from None
                    time.sleep(0.2)
            time.sleep(2)  # the second worker
            bench, clients, elapsed = asyncio.run(
                drive(port, chats, args.seconds, args.interval, args.drop)
            )
        finally:
            server.terminate()
            server.wait(timeout=20)
            log.seek(0)
            tail = log.read()[-20000:]
            if tail.strip():
                print(tail, file=sys.stderr)

    latencies = [
        (bench.received[(chat_id, seq, other)] - started) * 1000
        for (chat_id, seq), (started, side) in bench.sent.items()
        for other in ("customer", "agent")
        if other != side and (chat_id, seq, other) in bench.received
    ]
    lost, duplicated = check_sequences(clients)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    print(
        f"{len(bench.sent)} messages in {elapsed:.1f} s: {len(bench.sent) / elapsed:.1f} msg/s "
        f"sent, {len(bench.received) / elapsed:.1f} announcements/s received; "
        f"{len(bench.errors)} errors"
    )
    if latencies:
        print(
            f"delivery to the other side: p50 {percentile(latencies, 50):.1f} ms, "
            f"p95 {percentile(latencies, 95):.1f} ms, p99 {percentile(latencies, 99):.1f} ms "
            f"(target p95 < {TARGET_P95_MS:.0f} ms) over {len(latencies)} deliveries"
        )
    if bench.reconnects:
        print(
            f"{len(bench.reconnects)} clients dropped and came back: back and caught up in "
            f"p50 {percentile(bench.reconnects, 50) * 1000:.0f} ms, "
            f"p95 {percentile(bench.reconnects, 95) * 1000:.0f} ms; "
            f"{bench.caught_up} messages read by catching up instead of announced"
        )
    print(f"sequence check over {len(clients)} clients: {lost} lost, {duplicated} duplicated")
    if bench.errors:
        print("first errors:", bench.errors[:3])


if __name__ == "__main__":
    main()
