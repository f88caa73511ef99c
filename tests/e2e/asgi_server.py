"""An ASGI live server for browser tests that need WebSockets (the chat).

pytest-django's `live_server` speaks WSGI only. This runs the project's ASGI application
(config.asgi: HTTP and the chat's sockets) under uvicorn in a thread of the test process,
against the test database, with the in-memory channel layer: the views that store a
message and the sockets that announce it share one event loop, as in the demo.
"""

import socket
import threading
import time
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Server:
    url: str


@pytest.fixture
def asgi_server(transactional_db):
    import uvicorn
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from config.asgi import application

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        # Static files from the finders, as the WSGI live server serves them.
        ASGIStaticFilesHandler(application),
        log_level="warning",
        lifespan="off",
        ws="websockets-sansio",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the ASGI server did not start")
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()
