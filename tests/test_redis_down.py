"""Redis away: filing, replying and reading cases keep working through the API and the web
form; the cache degrades (config.cache) instead of raising."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient

from tests.factories import PASSWORD, AgentFactory, CustomerFactory, login_verified
from tickets.models import Message, Ticket

ROOT = Path(__file__).resolve().parent.parent
TRON_TXID = "c4b5fb0e1cf1b0a5b8f2a1e0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"
FIELDS = {
    "occurred_at": "2026-11-18T10:18",
    "asset": "USDT",
    "network": "TRC20",
    "amount": "1520.35",
    "wallet_address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
}


def closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.DegradingRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }
    with pytest.raises(RedisConnectionError):
        cache._cache.get_client().ping()  # really away
    yield


def test_with_redis_url_set_the_app_uses_the_degrading_cache():
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6399/0"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings;"
            " print(settings.CACHES['default']['BACKEND'])",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == "config.cache.DegradingRedisCache"


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_api_files_replies_and_reads_while_redis_is_down(redis_down):
    customer = CustomerFactory()
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"email": customer.email, "password": PASSWORD})
    assert token.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    started = time.monotonic()
    filed = client.post(
        "/api/v1/tickets/",
        {
            "category": "withdrawal-not-received",
            "subject": "USDT withdrawal never arrived",
            "description": "I withdrew 1520.35 USDT on TRC20; nothing arrived.",
            "fields": {**FIELDS, "occurred_at": "2026-11-18T10:18:00Z", "txid": TRON_TXID},
        },
        format="json",
    )
    assert filed.status_code == 201, filed.content
    reference = filed.json()["reference"]
    reply = client.post(f"/api/v1/tickets/{reference}/messages/", {"body": "Any news?"})
    assert reply.status_code == 201
    assert client.get("/api/v1/tickets/").json()["results"][0]["reference"] == reference
    assert client.get(f"/api/v1/tickets/{reference}/").status_code == 200
    # Only the first call waited for the refused connection; the rest skipped the cache.
    assert time.monotonic() - started < 5
    assert Message.objects.filter(ticket__reference=reference, body="Any news?").exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_web_form_and_the_desk_work_while_redis_is_down(client, redis_down):
    customer = CustomerFactory()
    client.force_login(customer)
    filed = client.post(
        reverse("tickets:file"),
        {
            "category": "withdrawal-not-received",
            "subject": "USDT withdrawal never arrived",
            "description": "I withdrew 1520.35 USDT; nothing arrived.",
            **FIELDS,
            "txid": TRON_TXID,
        },
    )
    assert filed.status_code == 302, filed.content.decode()[:2000]
    ticket = Ticket.objects.get(customer=customer)
    replied = client.post(reverse("tickets:reply", args=[ticket.reference]), {"body": "More."})
    assert replied.status_code == 302
    assert client.get(reverse("tickets:detail", args=[ticket.reference])).status_code == 200
    assert client.get(reverse("tickets:my_tickets")).status_code == 200

    # The desk keeps its counts, presence and staff list in the cache.
    agent = AgentFactory()
    login_verified(client, agent)
    assert client.get("/staff/").status_code == 200
    assert client.get(f"/staff/tickets/{ticket.reference}/").status_code == 200
