"""config.asgi's application with at most N HTTP requests inside Django at once per process.

Django runs each ASGI HTTP request in a thread of its own, with a database connection of
its own; under a burst the threads, and PostgreSQL's connections, grow with the requests
waiting (the shared server's max_connections is 100). Waiting here instead, before Django,
bounds them, as a fixed number of gunicorn workers or a connection pooler would. WebSockets
pass untouched. bench/chat_load.py serves this with `--http-limit N`; 0 serves
config.asgi as it is.
"""

import asyncio
import os

from config.asgi import application as django_application

LIMIT = int(os.environ.get("REDRESS_BENCH_HTTP_LIMIT", "0"))
_slots = asyncio.Semaphore(LIMIT) if LIMIT > 0 else None


async def application(scope, receive, send):
    if _slots is None or scope["type"] != "http":
        return await django_application(scope, receive, send)
    async with _slots:
        return await django_application(scope, receive, send)
