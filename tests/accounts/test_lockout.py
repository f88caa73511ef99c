"""Repeated failed sign-ins lock the account and the source for a while (django-axes)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.lockout import attempted_email, client_ip
from tests.factories import PASSWORD, AgentFactory, CustomerFactory, enroll_totp, totp_code
from tickets.formatting import when_text

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
OTP = "/accounts/login/code/"
TOKEN = "/api/v1/auth/token/"


def web_login(client, email, password):
    return client.post(LOGIN, {"username": email, "password": password})


def visible_text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def frozen():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def test_five_wrong_passwords_lock_the_account_until_the_cool_off(frozen):
    customer = CustomerFactory()
    client = Client()
    for _attempt in range(4):
        assert web_login(client, customer.email, "wrong").status_code == 200
    fifth = web_login(client, customer.email, "wrong")
    assert fifth.status_code == 429
    assert fifth["Retry-After"] == str(15 * 60)
    right = web_login(client, customer.email, PASSWORD)
    assert right.status_code == 429
    text = visible_text(right)
    assert "too many failed sign-in attempts" in text
    retry_at = when_text(timezone.now() + timedelta(minutes=15))
    assert f"Try again in about 15 minutes, after {retry_at}" in text

    frozen.shift(timedelta(minutes=14))
    assert web_login(client, customer.email, PASSWORD).status_code == 429
    frozen.shift(timedelta(minutes=1, seconds=1))
    assert web_login(client, customer.email, PASSWORD).status_code == 302


def test_the_lockout_page_does_not_say_whether_the_account_exists(frozen):
    customer = CustomerFactory()
    pages = []
    for address, email in (("10.0.0.1", customer.email), ("10.0.0.2", "ghost@example.com")):
        client = Client(REMOTE_ADDR=address)
        for _attempt in range(5):
            response = web_login(client, email, "wrong")
        pages.append(visible_text(response))
    assert pages[0] == pages[1]
    assert customer.email not in pages[0] and "ghost" not in pages[0]


def test_the_lock_holds_for_the_account_from_elsewhere_and_for_the_source(frozen):
    target, neighbour = CustomerFactory(), CustomerFactory()
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _attempt in range(5):
        web_login(attacker, target.email, "wrong")
    # the account, whichever address asks (differently cased, too)
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert web_login(elsewhere, target.email.upper(), PASSWORD).status_code == 429
    # the source, whichever account it tries
    assert web_login(attacker, neighbour.email, PASSWORD).status_code == 429
    # everyone else is unaffected
    assert web_login(Client(REMOTE_ADDR="192.0.2.1"), neighbour.email, PASSWORD).status_code == 302


def test_the_token_endpoint_locks_too_and_answers_in_json(frozen):
    customer = CustomerFactory()
    client = APIClient()
    for _attempt in range(4):
        assert (
            client.post(
                TOKEN, {"email": customer.email, "password": "x"}, format="json"
            ).status_code
            == 401
        )
    locked = client.post(TOKEN, {"email": customer.email, "password": "x"}, format="json")
    assert locked.status_code == 429
    body = locked.json()
    assert body["code"] == "locked_out" and body["retry_after"] == 15 * 60
    assert "Too many failed sign-in attempts" in body["detail"]
    right = client.post(TOKEN, {"email": customer.email, "password": PASSWORD}, format="json")
    assert right.status_code == 429
    # the same answer for an address that has no account
    ghost = APIClient(REMOTE_ADDR="10.9.9.9")
    for _attempt in range(5):
        ghost_locked = ghost.post(
            TOKEN, {"email": "ghost@example.com", "password": "x"}, format="json"
        )
    assert ghost_locked.json()["detail"] == body["detail"]

    frozen.shift(timedelta(minutes=15, seconds=1))
    right = client.post(TOKEN, {"email": customer.email, "password": PASSWORD}, format="json")
    assert right.status_code == 200


def test_wrong_codes_count_and_a_lockout_signs_the_staff_member_out(frozen):
    agent = AgentFactory()
    device = enroll_totp(agent)
    client = Client()
    web_login(client, agent.email, PASSWORD)
    for _attempt in range(4):
        frozen.shift(timedelta(minutes=1))  # past the device's own throttle
        assert client.post(OTP, {"otp_token": "000000"}).status_code == 200
    frozen.shift(timedelta(minutes=1))
    locked = client.post(OTP, {"otp_token": "000000"})
    assert locked.status_code == 429
    assert client.get("/admin/").status_code == 302
    assert web_login(client, agent.email, PASSWORD).status_code == 429

    frozen.shift(timedelta(minutes=16))
    assert web_login(client, agent.email, PASSWORD)["Location"].startswith(OTP)
    assert client.post(OTP, {"otp_token": totp_code(device)}).status_code == 302


def test_wrong_codes_on_the_token_endpoint_count(frozen):
    agent = AgentFactory()
    enroll_totp(agent)
    client = APIClient()
    body = {"email": agent.email, "password": PASSWORD, "otp": "000000"}
    for _attempt in range(4):
        frozen.shift(timedelta(minutes=1))
        assert client.post(TOKEN, body, format="json").status_code == 401
    frozen.shift(timedelta(minutes=1))
    assert client.post(TOKEN, body, format="json").status_code == 429


def test_the_lockout_reads_the_email_wherever_it_was_sent():
    request = RequestFactory().post("/", {"username": " Lin@Example.com "})
    assert attempted_email(request, None) == "lin@example.com"
    assert attempted_email(request, {"email": "A@B.C", "password": "x"}) == "a@b.c"
    assert attempted_email(request, {"username": "X@Y.Z"}) == "x@y.z"
    assert attempted_email(RequestFactory().post("/", {}), None) is None


def test_the_source_address_behind_trusted_proxies(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4"
    )
    assert client_ip(request) == "10.0.0.2"
    settings.REDRESS_TRUSTED_PROXIES = 1
    assert client_ip(request) == "198.51.100.4"  # never the spoofable left-most entry
    settings.REDRESS_TRUSTED_PROXIES = 3
    assert client_ip(request) == "10.0.0.2"
