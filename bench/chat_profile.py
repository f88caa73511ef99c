"""Where a chat message's server time goes: its POST and the peer's GET ?after=N, in-process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress_chatbench \
    REDIS_URL=redis://127.0.0.1:6379/6 \
        uv run --no-sync python bench/chat_profile.py --messages 300

Uses bench/chat_load.py's seed (its active chats, kept if there) and sessions, and sends
through Django's test client (the whole request: middleware, session, second factor, the
view, the service, the after-commit push to the Redis layer) under production settings.
Each message is a POST by one side and the other side's GET ?after=N, as chat.js does.
Prints the wall and CPU time and the queries of each, the queries by statement, and
cProfile's top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.queries import print_by_statement  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--chats", type=int, default=250, help="as chat_load.py seeded them")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--dump", default="", help="write the profile to this file (pstats)")
    parser.add_argument("--match", default="", help="also list the functions matching this regex")
    args = parser.parse_args()

    from bench.chat_load import seed, server_env

    os.environ.update(server_env())
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    plans = seed(args.chats, 3, keep=True)

    def client(side: dict) -> Client:
        # Behind the proxy, as bench/chat_client.py is: https, the site's own origin.
        c = Client(
            HTTP_X_CSRFTOKEN=side["csrf"],
            HTTP_X_FORWARDED_PROTO="https",
            HTTP_ORIGIN="https://testserver",
        )
        for pair in side["cookie"].split("; "):
            name, _, value = pair.partition("=")
            c.cookies[name] = value
        return c

    people = [(client(p["customer"]), client(p["agent"]), p["id"]) for p in plans]

    def post(n: int) -> int:
        customer, agent, chat = people[n % len(people)]
        sender = customer if n % 2 else agent
        response = sender.post(
            f"/api/v1/chats/{chat}/messages/",
            {"body": f"bench profile {n}"},
            content_type="application/json",
        )
        assert response.status_code == 201, response.content[:500]
        return response.json()["seq"]

    def get(n: int, seq: int) -> None:
        customer, agent, chat = people[n % len(people)]
        reader = agent if n % 2 else customer
        response = reader.get(f"/api/v1/chats/{chat}/messages/?after={seq - 1}")
        assert response.status_code == 200 and response.json()["results"], response.content[:500]

    seqs = {n: post(n) for n in range(10)}
    for n, seq in seqs.items():
        get(n, seq)
    for name, step in (("POST", "post"), ("GET", "get")):
        base = 1000 if step == "post" else 0
        with CaptureQueriesContext(connection) as queries:
            began, cpu = time.perf_counter(), time.process_time()
            for n in range(args.messages):
                if step == "post":
                    seqs[base + n] = post(base + n)
                else:
                    get(1000 + n, seqs[1000 + n])
            wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        report(name, args.messages, wall, cpu, queries.captured_queries)

    profile = cProfile.Profile()
    profile.enable()
    for n in range(args.messages):
        get(5000 + n, post(5000 + n))
    profile.disable()
    if args.dump:
        profile.dump_stats(args.dump)
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    if args.match:
        stats.sort_stats("cumulative").print_stats(args.match)


def report(name: str, count: int, wall: float, cpu: float, captured: list[dict]) -> None:
    sql = sum(float(q["time"]) for q in captured)
    print(
        f"{count} {name}s: {1000 * wall / count:.1f} ms wall, {1000 * cpu / count:.1f} ms CPU,"
        f" {len(captured) / count:.1f} queries and {1000 * sql / count:.2f} ms SQL each;"
        " load average %.2f %.2f %.2f" % os.getloadavg()
    )
    print_by_statement(captured, count)


if __name__ == "__main__":
    main()
