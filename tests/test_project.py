"""The project's own set-up: production settings refuse to start without secrets, compose is valid."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_production_settings_need_their_secrets():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_compose_describes_the_production_shape():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    assert "gunicorn" in services["web"]["command"]
    # The sockets beside it, two processes: a reconnect storm's handshakes use both cores.
    assert services["asgi"]["command"][:2] == ["uvicorn", "config.asgi:application"]
    assert "--workers=2" in services["asgi"]["command"]
    assert services["beat"]["deploy"]["replicas"] == 1
    for name in ("web", "worker", "beat"):
        assert (
            services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        )
        assert "evidence:/data/evidence" in services[name]["volumes"]
    assert {"pgdata", "evidence"} <= set(compose["volumes"])


def compose_environment(service: dict) -> dict[str, str]:
    """A service's environment with compose's ${NAME:-default} and ${NAME:?…} filled in."""

    def fill(value) -> str:
        value = str(value)
        value = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)
        return re.sub(r"\$\{([A-Z_]+):\?[^}]*\}", lambda m: f"test-{m[1].lower()}", value)

    return {name: fill(value) for name, value in service["environment"].items()}


def test_compose_puts_a_tls_proxy_in_front_and_trusts_exactly_it():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    proxy, web = services["proxy"], services["web"]
    assert proxy["image"].startswith("caddy")
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    caddyfile = "./deploy/caddy/Caddyfile:/etc/caddy/Caddyfile:ro"
    assert caddyfile in proxy["volumes"] and (ROOT / "deploy/caddy/Caddyfile").is_file()
    assert proxy["environment"]["REDRESS_UPSTREAM"] == "web:8000"
    # gunicorn is reached through the proxy only, and the app trusts that one hop.
    assert "ports" not in web and web["expose"] == ["8000"]
    for name in ("web", "worker", "beat"):
        assert compose_environment(services[name])["REDRESS_TRUSTED_PROXIES"] == "1"


def test_compose_migrates_as_the_owner_and_runs_as_the_app_role():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    migrate = compose_environment(services["migrate"])
    assert migrate["DATABASE_URL"].startswith("postgres://redress:")
    assert migrate["REDRESS_DB_APP_ROLE"] == "redress_app"
    for name in ("web", "worker", "beat"):
        assert compose_environment(services[name])["DATABASE_URL"].startswith(
            "postgres://redress_app:"
        )
    roles = services["db-roles"]
    assert "./deploy/postgres/roles.sql:/roles.sql:ro" in roles["volumes"]
    assert services["migrate"]["depends_on"]["db-roles"]["condition"] == (
        "service_completed_successfully"
    )


def test_the_deploy_checks_pass_with_the_compose_environment():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDRESS_"))}
    env.update(compose_environment(services["web"]))
    env["DJANGO_SECRET_KEY"] = "x" * 30 + "compose-check-" + "y" * 30
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


FIRST_REQUEST = """
import gc, json, sys
import config.wsgi  # as gunicorn imports it
frozen = gc.get_freeze_count()
from django.test import Client
client = Client(HTTP_HOST="localhost")
before = set(sys.modules)
status = client.get("/api/v1/chats/").status_code
print(json.dumps({"frozen": frozen, "status": status, "new": sorted(set(sys.modules) - before)}))
"""


def test_a_web_process_loads_what_requests_use_at_start_and_freezes_it():
    # config/long_lived.py: a process's first request paid 0.4 s importing 150 modules, and
    # every full collection walked what startup had loaded.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    result = subprocess.run(
        [sys.executable, "-c", FIRST_REQUEST], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["status"] == 401  # the API's answer without credentials, through every layer
    assert probe["frozen"] > 50_000
    assert [name for name in probe["new"] if not name.startswith("encodings.")] == []
