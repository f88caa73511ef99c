"""Repeated failed sign-ins lock the account and the source for a while (django-axes)."""

import re
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.client_address import client_ip
from accounts.lockout import attempted_email
from accounts.models import AccountEvent
from tests.factories import (
    PASSWORD,
    AgentFactory,
    CustomerFactory,
    UserFactory,
    enroll_totp,
    totp_code,
)
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


def test_failures_from_one_address_lock_that_address_out_of_that_account_only(frozen):
    target, neighbour = CustomerFactory(), CustomerFactory()
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _attempt in range(5):
        web_login(attacker, target.email, "wrong")
    # the account from that address, whichever way the email is cased
    assert web_login(attacker, target.email.upper(), PASSWORD).status_code == 429
    # the account's owner elsewhere signs in: a stranger cannot lock them out
    assert web_login(Client(REMOTE_ADDR="198.51.100.7"), target.email, PASSWORD).status_code == 302
    # and the address may still sign in to other accounts
    assert web_login(attacker, neighbour.email, PASSWORD).status_code == 302


def test_nobody_locks_a_staff_member_out_with_five_wrong_passwords(frozen):
    agent = AgentFactory()
    enroll_totp(agent)
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _attempt in range(6):
        web_login(attacker, agent.email, "wrong")
    own_desk = Client(REMOTE_ADDR="10.1.2.3")
    assert web_login(own_desk, agent.email, PASSWORD)["Location"].startswith(OTP)


def test_a_forwarded_for_header_the_client_chose_does_not_reset_its_count(frozen):
    customer = CustomerFactory()
    client = Client(REMOTE_ADDR="203.0.113.9")
    for attempt in range(5):
        client.post(
            LOGIN,
            {"username": customer.email, "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}",
        )
    response = client.post(
        LOGIN, {"username": customer.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="10.9.9.9"
    )
    assert response.status_code == 429


@pytest.fixture
def small_limits(settings):
    settings.REDRESS_LOGIN_ACCOUNT_FAILURE_LIMIT = 8
    settings.REDRESS_LOGIN_ADDRESS_FAILURE_LIMIT = 12
    return settings


def guess_from_many_addresses(email, addresses=4, each=2):
    for address in range(addresses):
        guesser = Client(REMOTE_ADDR=f"203.0.113.{address + 1}")
        for _attempt in range(each):
            web_login(guesser, email, "wrong")


def test_many_failures_across_addresses_lock_the_account_everywhere_and_alert(
    frozen, small_limits, django_capture_on_commit_callbacks
):
    owner = CustomerFactory()
    admin = UserFactory(is_superuser=True, is_staff=True, email="boss@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        guess_from_many_addresses(owner.email)
    assert web_login(Client(REMOTE_ADDR="10.1.2.3"), owner.email, PASSWORD).status_code == 429
    # Another account from those addresses is unaffected.
    assert (
        web_login(Client(REMOTE_ADDR="203.0.113.1"), CustomerFactory().email, PASSWORD).status_code
        == 302
    )
    to_owner = [m for m in mail.outbox if m.to == [owner.email]]
    to_admin = [m for m in mail.outbox if m.to == [admin.email]]
    assert len(to_owner) == 1 and "/accounts/unlock/" in to_owner[0].body
    assert len(to_admin) == 1 and owner.email in to_admin[0].subject
    assert "8 failed attempts from 4 addresses" in to_admin[0].body
    event = owner.account_events.get(kind=AccountEvent.Kind.LOCKED)
    assert event.data == {"failures": 8, "addresses": 4}
    # More failures while it holds alert nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        guess_from_many_addresses(owner.email, addresses=2, each=1)
    assert len(mail.outbox) == 2


def test_the_owner_signs_in_anyway_through_the_mailed_link_once(
    frozen, small_limits, django_capture_on_commit_callbacks
):
    owner = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        guess_from_many_addresses(owner.email)
    link = re.search(r"http://127\.0\.0\.1:8000(/accounts/unlock/[\w-]+/)", mail.outbox[0].body)[1]
    browser = Client(REMOTE_ADDR="10.1.2.3")
    # Opening the link (a mail scanner does too) changes nothing; the button does.
    page = browser.get(link)
    assert page.status_code == 200 and owner.email in page.content.decode()
    assert web_login(browser, owner.email, PASSWORD).status_code == 429
    assert browser.post(link).status_code == 302
    assert web_login(browser, owner.email, "wrong").status_code == 200  # still needs the password
    assert web_login(browser, owner.email, PASSWORD).status_code == 302
    assert owner.account_events.filter(kind=AccountEvent.Kind.UNLOCK_USED).count() == 1
    # Single use, and only for the browser that used it.
    assert Client().post(link).status_code == 400
    assert web_login(Client(REMOTE_ADDR="10.4.4.4"), owner.email, PASSWORD).status_code == 429
    # The grant lasts as long as the lock would.
    browser.logout()
    frozen.shift(timedelta(minutes=16))
    assert web_login(browser, owner.email, PASSWORD).status_code == 302


def test_the_lockout_page_offers_the_link_and_its_form_says_nothing_of_who_exists(
    frozen, django_capture_on_commit_callbacks
):
    owner = CustomerFactory()
    client = Client(REMOTE_ADDR="10.0.0.1")
    for _attempt in range(5):
        locked = web_login(client, owner.email, "wrong")
    assert 'href="/accounts/unlock/"' in locked.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/accounts/unlock/", {"email": owner.email})
        unknown = client.post("/accounts/unlock/", {"email": "ghost@example.com"})
        again = client.post("/accounts/unlock/", {"email": owner.email})
    assert visible_text(known) == visible_text(unknown) == visible_text(again)
    assert [m.to for m in mail.outbox] == [[owner.email]]  # one per five minutes, to the owner
    link = re.search(r"(/accounts/unlock/[\w-]+/)", mail.outbox[0].body)[1]
    assert client.post(link).status_code == 302
    assert web_login(client, owner.email, PASSWORD).status_code == 302


def test_one_address_trying_many_accounts_is_stopped(frozen, small_limits):
    sprayer = Client(REMOTE_ADDR="203.0.113.50")
    for number in range(12):
        web_login(sprayer, f"someone{number}@example.com", "Winter2026!")
    assert web_login(sprayer, CustomerFactory().email, PASSWORD).status_code == 429
    assert (
        web_login(Client(REMOTE_ADDR="203.0.113.51"), CustomerFactory().email, PASSWORD).status_code
        == 302
    )


def test_a_wrong_backup_code_counts_like_a_wrong_password(frozen):
    agent = AgentFactory()
    enroll_totp(agent)
    client = Client()
    web_login(client, agent.email, PASSWORD)
    assert client.post(OTP, {"otp_token": "abcde-fghjk"}).status_code == 200
    attempt = AccessAttempt.objects.get(username=agent.email)
    assert attempt.failures_since_start == 1
    assert "abcde" not in attempt.post_data


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
    settings.REDRESS_TRUSTED_PROXIES = 1
    garbled = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="<script>")
    assert client_ip(garbled) == "10.0.0.2"
