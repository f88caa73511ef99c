"""The load generator of bench/chat_load.py: one process, a share of the chats, both sides.

It needs no Django: it reads a plan (JSON, from chat_load.py), and for each chat runs its
customer and its agent as the browser's chat.js does. A side holds a WebSocket to
/ws/chats/{id}/ and two keep-alive HTTP connections (one sends, one reads, so a read never
waits behind a send). It sends `body` with POST messages/ at random (exponential) intervals;
on a push "message N" past what it has shown, it reads GET messages/?after=<last shown>
(one read at a time, another after it if pushes came meanwhile) and tells the socket what
it has read, as chat.js does.

Every body carries its side and number ("bench customer 17 …"), so each side checks that
its peer's messages arrive exactly once and in order, and every timestamp is kept: the
send, the first push of the seq, the read that brought the body. Both sides of a chat live
in this process, so their clocks agree. At `drop_at` the chosen sides drop their socket
(the TCP connection aborted, no close frame, as a lost network), stay away `offline`
seconds without sending, reconnect, and catch up with ?after=N. At the end each side waits
for its peer's messages (`drain`), then reads the whole chat with ?after=0 and the result
goes to stdout as JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
from dataclasses import dataclass, field

import h11  # uvicorn's HTTP/1.1 parser; no HTTP client library is in uv.lock
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

SIDES = ("customer", "agent")


class Http:
    """One keep-alive HTTP/1.1 connection with the side's session cookie and CSRF token.

    As the proxy in front of production would, it says the request came over HTTPS
    (X-Forwarded-Proto), so the production settings neither redirect nor refuse the CSRF
    origin check; the Origin header is the site's own, as a browser sends it.
    """

    def __init__(self, host: str, port: int, cookie: str, csrf: str):
        self.host, self.port = host, port
        self.headers = [
            ("Host", f"{host}:{port}"),
            ("Cookie", cookie),
            ("X-Forwarded-Proto", "https"),
            ("Origin", f"https://{host}:{port}"),
            ("Accept", "application/json"),
        ]
        self.csrf = csrf
        self.reader = self.writer = self.conn = None

    async def _open(self) -> None:
        await self.close()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.conn = h11.Connection(our_role=h11.CLIENT)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    async def request(self, method: str, target: str, body: dict | None = None):
        """(status, JSON) of one request; a request that takes over 30 s fails.

        A GET that finds its kept-alive connection closed by the server is sent once more on
        a new one (it changes nothing); a POST is never sent twice.
        """
        for attempt in (1, 2):
            try:
                return await asyncio.wait_for(self._request(method, target, body), 30)
            except (TimeoutError, OSError, h11.ProtocolError) as error:
                await self.close()
                self.conn = None
                if method != "GET" or attempt == 2 or not isinstance(error, ConnectionError):
                    raise
        raise AssertionError("unreachable")

    async def _request(self, method: str, target: str, body: dict | None = None):
        if self.conn is None or self.conn.our_state is not h11.IDLE or self.reader.at_eof():
            await self._open()
        headers = list(self.headers)
        data = b""
        if body is not None:
            data = json.dumps(body).encode()
            headers += [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(data))),
                ("X-CSRFToken", self.csrf),
            ]
        out = self.conn.send(h11.Request(method=method, target=target, headers=headers))
        if data:
            out += self.conn.send(h11.Data(data=data))
        out += self.conn.send(h11.EndOfMessage())
        self.writer.write(out)
        status, chunks = 0, []
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                chunk = await self.reader.read(65536)
                self.conn.receive_data(chunk)
                if not chunk and self.conn.their_state is not h11.DONE:
                    raise ConnectionError("the server closed the connection")
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                break
        if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
            self.conn.start_next_cycle()
        else:
            self.conn = None
        payload = b"".join(chunks)
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, payload[:300].decode(errors="replace")


@dataclass
class Side:
    chat: Chat
    name: str
    cookie: str
    csrf: str
    drop: bool
    sent: list = field(default_factory=list)  # [k, t_send, seq | None, post_ms, status]
    shown: dict = field(default_factory=dict)  # seq -> (author side, k)
    own_shown: set = field(default_factory=set)  # seqs shown from my POST's 201
    posting: bool = False
    pushed_seq: int = 0  # the last seq pushed while my POST was on its way
    last_seq: int = 0
    peer_seen: list = field(default_factory=list)  # the peer's k, in the order shown
    push_first: dict = field(default_factory=dict)  # seq -> first time a push named it
    body_at: dict = field(default_factory=dict)  # seq -> time the body was read
    get_ms: list = field(default_factory=list)
    pushes: int = 0
    push_duplicates: int = 0  # a push for a seq this connection was already told of
    push_gaps: int = 0  # seqs a connection was never told of (the read catches them up)
    shown_duplicates: int = 0
    shown_gaps: int = 0
    errors: list = field(default_factory=list)
    recovery: dict = field(default_factory=dict)
    online: bool = True
    fetching: bool = False
    again: bool = False

    def __post_init__(self):
        self.path = f"/api/v1/chats/{self.chat.id}/messages/"
        plan = self.chat.plan
        self.send_http = Http(plan["host"], plan["port"], self.cookie, self.csrf)
        self.read_http = Http(plan["host"], plan["port"], self.cookie, self.csrf)
        self.ws = None
        self.connected = asyncio.Event()
        self.last_seq = self.chat.base_seq

    @property
    def peer(self) -> Side:
        return self.chat.sides[1 - SIDES.index(self.name)]

    # --- the socket -------------------------------------------------------------------

    async def open_socket(self) -> None:
        plan = self.chat.plan
        self.ws = await connect(
            f"ws://{plan['host']}:{plan['ws_port']}/ws/chats/{self.chat.id}/",
            additional_headers={"Cookie": self.cookie},
            origin=f"https://{plan['host']}:{plan['ws_port']}",
            ping_interval=None,
            open_timeout=60,
            max_queue=None,
        )

    async def listen(self) -> None:
        """Read pushes until the socket closes (a drop, or the end)."""
        told = None  # the last seq this connection knows of
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                payload = json.loads(raw)
                kind = payload.get("type")
                if kind == "state" and "seq" in payload:
                    told = payload["seq"]
                    self.connected.set()
                    if told > self.last_seq:  # as chat.js: read only what is new
                        self.spawn_fetch()
                elif kind == "message":
                    seq = payload["seq"]
                    self.pushes += 1
                    self.push_first.setdefault(seq, now)
                    if told is not None and seq <= told:
                        self.push_duplicates += 1
                        continue
                    if told is not None and seq > told + 1:
                        self.push_gaps += seq - told - 1
                    told = seq
                    if seq > self.last_seq and self.posting:
                        self.pushed_seq = max(self.pushed_seq, seq)  # as chat.js: after the 201
                    elif seq > self.last_seq:
                        self.spawn_fetch()
        except ConnectionClosed as closed:
            if self.online and not self.chat.stopping:
                self.errors.append(f"socket closed: {closed}")

    def spawn_fetch(self) -> None:
        if self.fetching:
            self.again = True
            return
        self.fetching = True
        self.chat.tasks.add(task := asyncio.ensure_future(self.fetch()))
        task.add_done_callback(self.chat.tasks.discard)

    async def fetch(self) -> None:
        try:
            from_peer = False
            while True:
                self.again = False
                from_peer |= await self.read_after(self.last_seq)
                if not self.again:
                    break
            # As chat.js: a read receipt only for what the peer wrote.
            if from_peer and self.ws is not None and self.online:
                with contextlib.suppress(ConnectionClosed):
                    await self.ws.send(json.dumps({"type": "read", "seq": self.last_seq}))
        except Exception as error:
            self.errors.append(f"read: {error!r}")
        finally:
            self.fetching = False

    async def read_after(self, after: int) -> bool:
        """Read what came after `after`; whether any of it was the peer's."""
        more, from_peer = True, False
        while more:
            started = time.perf_counter()
            try:
                status, data = await self.read_http.request("GET", f"{self.path}?after={after}")
            except Exception as error:
                status, data = 0, repr(error)
            now = time.perf_counter()
            if self.chat.t0:  # the run has started: not the first read at connect
                self.get_ms.append((now - started) * 1000)
            if status != 200:
                self.errors.append(f"GET {status}: {data}")
                return from_peer
            for message in data["results"]:
                from_peer |= self.show(message, now) == self.peer.name
            after, more = data["last_seq"], data["more"]
        return from_peer

    def show(self, message: dict, now: float) -> str | None:
        """Show a message once; its author's side when it is a benchmark message."""
        seq = message["seq"]
        if seq in self.shown:
            # A read that was on its way when a 201 showed my own message brings it again:
            # shown once all the same. Anything else the server gave twice.
            if seq not in self.own_shown:
                self.shown_duplicates += 1
            return None
        if seq != self.last_seq + 1:
            self.shown_gaps += max(0, seq - self.last_seq - 1)
        self.last_seq = max(self.last_seq, seq)
        words = (message.get("body") or "").split()
        author, k = None, None
        if len(words) >= 3 and words[0] == "bench" and words[1] in SIDES:
            author, k = words[1], int(words[2])
        self.shown[seq] = (author, k)
        self.body_at[seq] = now
        if author == self.peer.name:
            self.peer_seen.append(k)
        return author

    # --- sending ----------------------------------------------------------------------

    async def send_loop(self, rng: random.Random) -> None:
        plan = self.chat.plan
        end = plan["start_at"] + plan["duration"]
        # Poisson arrivals, steady from the first second: the pauses are exponential, the
        # first one too (the process is memoryless). Up to session 7 the first message came
        # at a uniform offset within one interval, a second stream on top: with
        # --interval 60 the rate climbed from 8 to 20 a second over the run (790 messages
        # where 500 were meant), and most slow messages were in its last ten seconds.
        first = rng.expovariate(1 / plan["interval"])
        await sleep_until(plan["start_at"] + min(first, plan["duration"]))
        k = 0
        while time.time() < end:
            if self.online:
                k += 1
                body = {"body": f"bench {self.name} {k} {'lorem ipsum ' * rng.randint(1, 6)}"}
                started = time.perf_counter()
                self.posting = True
                try:
                    status, data = await self.send_http.request("POST", self.path, body)
                except Exception as error:
                    status, data = 0, repr(error)
                self.posting = False
                took = (time.perf_counter() - started) * 1000
                seq = data.get("seq") if status == 201 and isinstance(data, dict) else None
                self.sent.append([k, started, seq, took, status])
                if status != 201:
                    self.errors.append(f"POST {status}: {data}")
                elif seq == self.last_seq + 1:
                    # As chat.js: the 201 is the next message, shown without a read.
                    self.show(data, time.perf_counter())
                    self.own_shown.add(seq)
                if self.pushed_seq > self.last_seq:
                    self.spawn_fetch()
                self.pushed_seq = 0
            # The last pause ends with the run, not up to minutes after it.
            pause = rng.expovariate(1 / plan["interval"])
            await asyncio.sleep(max(0.0, min(pause, end - time.time())))

    async def drop_and_return(self) -> None:
        plan = self.chat.plan
        await sleep_until(plan["drop_at"])
        self.online = False
        dropped = time.perf_counter()
        self.connected.clear()
        self.ws.transport.abort()  # a lost network: no close frame
        seen_before = self.last_seq
        await asyncio.sleep(plan["offline"])
        self.online = True
        started = time.perf_counter()
        try:
            await self.open_socket()
        except Exception as error:
            self.errors.append(f"reconnect: {error!r}")
            return
        self.chat.tasks.add(asyncio.ensure_future(self.listen()))
        try:
            await asyncio.wait_for(self.connected.wait(), 60)
        except TimeoutError:
            self.errors.append("reconnect: no hello from the socket within 60 s")
            return
        opened = time.perf_counter()
        # The hello's read (spawned by the listener) brings what was missed.
        while self.fetching:
            await asyncio.sleep(0.001)
        self.recovery = {
            "offline_ms": (started - dropped) * 1000,
            "connect_ms": (opened - started) * 1000,
            "caught_up_ms": (time.perf_counter() - started) * 1000,
            "caught_up_at": time.time(),
            "missed": self.last_seq - seen_before,
        }

    # --- the end ----------------------------------------------------------------------

    def peer_sent(self) -> list[int]:
        return [k for k, _t, seq, _ms, status in self.peer.sent if status == 201]

    async def drain(self, until: float) -> None:
        while time.time() < until:
            want = self.peer_sent()
            if len(self.peer_seen) >= len(want):
                return
            await asyncio.sleep(0.05)

    async def final_check(self) -> dict:
        """The whole chat as GET ?after=0 gives it, against what both sides sent."""
        rows, after, more = [], self.chat.base_seq, True
        while more:
            try:
                status, data = await self.read_http.request("GET", f"{self.path}?after={after}")
            except Exception as error:
                status, data = 0, repr(error)
            if status != 200:
                return {"error": f"GET {status}: {data}"}
            rows += data["results"]
            after, more = data["last_seq"], data["more"]
        seqs = [row["seq"] for row in rows]
        bench = {side: [] for side in SIDES}
        for row in rows:
            words = (row.get("body") or "").split()
            if len(words) >= 3 and words[0] == "bench" and words[1] in SIDES:
                bench[words[1]].append(int(words[2]))
        base = self.chat.base_seq
        result = {"seq_contiguous": seqs == list(range(base + 1, base + len(seqs) + 1))}
        for side in self.chat.sides:
            sent = [k for k, _t, seq, _ms, status in side.sent if status == 201]
            stored = bench[side.name]
            result[side.name] = {
                "sent": len(sent),
                "stored": len(stored),
                "missing": len(set(sent) - set(stored)),
                "duplicated": len(stored) - len(set(stored)),
                # A POST that failed (no 201) but whose message was stored anyway.
                "unacknowledged": len(set(stored) - set(sent)),
                "in_order": stored == sorted(stored),
            }
        return result

    def report(self) -> dict:
        peer_times = {}
        for _k, started, seq, _ms, status in self.peer.sent:
            if status == 201 and seq is not None:
                peer_times[seq] = started
        # [seconds into the run when sent, milliseconds]: the storm's window can be told apart.
        push_ms, body_ms = [], []
        for seq, started in peer_times.items():
            at = round(started - self.chat.t0, 3)
            if seq in self.push_first:
                push_ms.append([at, (self.push_first[seq] - started) * 1000])
            if seq in self.body_at:
                body_ms.append([at, (self.body_at[seq] - started) * 1000])
        want = self.peer_sent()
        return {
            "chat": self.chat.id,
            "side": self.name,
            "sent": len([s for s in self.sent if s[4] == 201]),
            "post_ms": [s[3] for s in self.sent if s[4] == 201],
            "send_times": [s[1] - self.chat.t0 for s in self.sent if s[4] == 201],
            "get_ms": self.get_ms,
            "push_ms": push_ms,
            "body_ms": body_ms,
            "pushes": self.pushes,
            "push_duplicates": self.push_duplicates,
            "push_gaps": self.push_gaps,
            "shown_duplicates": self.shown_duplicates,
            "shown_gaps": self.shown_gaps,
            "peer_missing": len(set(want) - set(self.peer_seen)),
            "peer_duplicated": len(self.peer_seen) - len(set(self.peer_seen)),
            "peer_in_order": self.peer_seen == sorted(self.peer_seen),
            "errors": self.errors[:5],
            "error_count": len(self.errors),
            "recovery": self.recovery,
        }


class Chat:
    def __init__(self, plan: dict, spec: dict):
        self.plan, self.id, self.base_seq = plan, spec["id"], spec["base_seq"]
        self.stopping = False
        self.tasks: set[asyncio.Future] = set()
        self.t0 = 0.0
        self.sides = [
            Side(self, name, spec[name]["cookie"], spec[name]["csrf"], name in spec["drop"])
            for name in SIDES
        ]


async def sleep_until(at: float) -> None:
    delay = at - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


async def run(plan: dict) -> dict:
    chats = [Chat(plan, spec) for spec in plan["chats"]]
    sides = [side for chat in chats for side in chat.sides]
    # Connect all sockets before the start, a few at a time (the server's own pace).
    gate = asyncio.Semaphore(10)

    retries = 0

    async def connect_one(side: Side) -> None:
        nonlocal retries
        async with gate:
            for attempt in range(5):
                try:
                    await side.open_socket()
                    break
                except (OSError, InvalidHandshake):
                    if attempt == 4:
                        raise
                    retries += 1
                    await asyncio.sleep(0.5)
            side.chat.tasks.add(asyncio.ensure_future(side.listen()))
            await asyncio.wait_for(side.connected.wait(), 120)
            # Ready once the first read (of what came before) is done, as a page that has
            # loaded: the run's figures are the messages', not the page loads'.
            while side.fetching:
                await asyncio.sleep(0.05)

    await asyncio.gather(*(connect_one(side) for side in sides))
    print(json.dumps({"ready": len(sides), "retries": retries}), file=sys.stderr, flush=True)
    # chat_load.py answers with the start once every process is connected.
    start = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    plan["start_at"] = float(start)
    plan["drop_at"] = plan["start_at"] + plan["drop_after"]
    t0 = time.perf_counter() + (plan["start_at"] - time.time())
    for chat in chats:
        chat.t0 = t0
    rng = random.Random(plan["seed"])
    work = [side.send_loop(random.Random(rng.random())) for side in sides]
    work += [side.drop_and_return() for side in sides if side.drop]
    await asyncio.gather(*work)
    drain_until = plan["start_at"] + plan["duration"] + plan["drain"]
    await asyncio.gather(*(side.drain(drain_until) for side in sides))
    for chat in chats:
        chat.stopping = True
    checks = await asyncio.gather(*(chat.sides[0].final_check() for chat in chats))

    async def close(side: Side) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(side.ws.close(), 5)
        await side.send_http.close()
        await side.read_http.close()

    await asyncio.gather(*(close(side) for side in sides))
    for chat in chats:
        for task in list(chat.tasks):
            task.cancel()
    return {
        "sides": [side.report() for side in sides],
        "checks": [{"chat": chat.id, **check} for chat, check in zip(chats, checks, strict=True)],
    }


def main() -> None:
    with open(sys.argv[1]) as plan_file:
        plan = json.load(plan_file)
    result = asyncio.run(run(plan))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
