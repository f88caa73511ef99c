"""Where a filing's server time goes: the API's filing in this process, profiled and counted.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress_bench_filing \
    REDIS_URL=redis://127.0.0.1:6379/3 \
        uv run --no-sync python bench/filing_profile.py --filings 200 [--screenshot] [--web]

Runs `--filings` filings through Django's test client (the whole request: middleware,
authentication, throttles, the view and the service) under production settings, with the
broker and cache of REDIS_URL, and prints: the wall and CPU time per filing, the queries
per filing and their SQL time (CaptureQueriesContext), the queries grouped by table, and
cProfile's top functions by cumulative and by own time. `--screenshot` adds the ~96 KB PNG
upload of bench/filing_load.py; `--web` files through the web form instead of the API.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.queries import print_by_statement  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--filings", type=int, default=200)
    parser.add_argument("--screenshot", action="store_true")
    parser.add_argument("--web", action="store_true", help="the web form, not the API")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    from bench.filing_load import filing_body, prepare_customers, screenshot_png, server_env

    env = server_env(args_for_env(), tempfile.mkdtemp(prefix="bench-profile-"), 2525)
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from accounts.models import User

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    tokens = prepare_customers(50)
    png = screenshot_png() if args.screenshot else None
    users = list(User.objects.filter(email__startswith="bench-filer-").order_by("email")[:50])

    signed_in = {}
    if args.web:  # signed in before anything is timed: a session per customer
        for user in users:
            signed_in[user.pk] = Client()
            signed_in[user.pk].force_login(user)

    def file(n: int) -> None:
        if args.web:
            client = signed_in[users[n % len(users)].pk]
            fields = json.loads(filing_body(n))
            data = {
                "category": fields["category"],
                "subject": fields["subject"],
                "description": fields["description"],
                **fields["fields"],
            }
            if png:
                from django.core.files.uploadedfile import SimpleUploadedFile

                data["files"] = SimpleUploadedFile("w.png", png, content_type="image/png")
            response = client.post("/tickets/new/", data)
            assert response.status_code == 302, response.content[:2000]
            return
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[n % len(tokens)]}")
        response = client.post("/api/v1/tickets/", filing_body(n), content_type="application/json")
        assert response.status_code == 201, response.content
        if png:
            from django.core.files.uploadedfile import SimpleUploadedFile

            reference = response.json()["reference"]
            upload = SimpleUploadedFile("w.png", png, content_type="image/png")
            response = client.post(
                f"/api/v1/tickets/{reference}/attachments/", {"file": upload}, format="multipart"
            )
            assert response.status_code == 201, response.content

    for n in range(10):
        file(n)
    with CaptureQueriesContext(connection) as queries:
        began, cpu = time.perf_counter(), time.process_time()
        for n in range(args.filings):
            file(1000 + n)
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    per = len(queries.captured_queries) / args.filings
    sql = sum(float(q["time"]) for q in queries.captured_queries)
    print(
        f"{args.filings} filings: {1000 * wall / args.filings:.1f} ms wall, "
        f"{1000 * cpu / args.filings:.1f} ms CPU, {per:.1f} queries and "
        f"{1000 * sql / args.filings:.1f} ms SQL each; load average %.2f %.2f %.2f"
        % os.getloadavg()
    )
    print("  per filing: queries, ms, statement")
    print_by_statement(queries.captured_queries, args.filings)

    profile = cProfile.Profile()
    profile.enable()
    for n in range(args.filings):
        file(5000 + n)
    profile.disable()
    stats = pstats.Stats(profile).strip_dirs()
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_callees(
        r"\(ticket_file\)|\(create\)|\(_detail\)|\(initial\)"
    )


def args_for_env():
    return argparse.Namespace(broker_url="")


if __name__ == "__main__":
    main()
