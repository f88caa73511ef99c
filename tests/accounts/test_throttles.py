"""API rate limits key on the client's real address and on the account, never on a header
the client chooses; a 429 says which limit and when to retry."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
OPEN = "/api/v1/open-probe/"  # tests.accounts.urls


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                **rates,
            },
        }

    return set_rates


@pytest.fixture
def frozen():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.mark.urls("tests.accounts.urls")
def test_rotating_x_forwarded_for_does_not_escape_the_address_limit(rates, frozen):
    rates(anon="3/min")
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    answers = [client.get(OPEN, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(3)]
    assert 429 not in answers
    throttled = client.get(OPEN, HTTP_X_FORWARDED_FOR="10.0.0.99")
    assert throttled.status_code == 429
    assert throttled["Retry-After"] == "60"
    body = throttled.json()
    assert body["code"] == "throttled" and body["retry_after"] == 60
    frozen.shift(timedelta(seconds=40))
    assert client.get(OPEN)["Retry-After"] == "20"  # when the oldest request leaves


@pytest.mark.urls("tests.accounts.urls")
def test_behind_a_trusted_proxy_each_client_has_its_own_limit(rates, settings):
    rates(anon="2/min")
    settings.REDRESS_TRUSTED_PROXIES = 1
    proxy = APIClient(REMOTE_ADDR="10.0.0.1")  # every request arrives from the proxy
    for _attempt in range(2):
        proxy.get(OPEN, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4")
    assert proxy.get(OPEN, HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 429
    # The left entry is the client's own claim: the proxy's entry (the last) decides.
    assert proxy.get(OPEN, HTTP_X_FORWARDED_FOR="198.51.100.4, 192.0.2.8").status_code != 429


def test_an_office_behind_one_address_is_not_locked_out_of_tokens(rates, frozen):
    rates(token_account="2/min", token_address="6/min")
    office = APIClient(REMOTE_ADDR="198.51.100.20")
    colleagues = [CustomerFactory() for _ in range(5)]
    for colleague in colleagues:
        answer = office.post(TOKEN, {"email": colleague.email, "password": PASSWORD})
        assert answer.status_code == 200, answer.json()
    # One of them keeps retrying: only their account waits.
    office.post(TOKEN, {"email": colleagues[0].email, "password": "typo"})
    own = office.post(TOKEN, {"email": colleagues[0].email, "password": PASSWORD})
    assert own.status_code == 429
    assert "for this account" in own.json()["detail"]
    assert own["Retry-After"] == "60"
    # The address's own, higher limit is reached by the whole office at once.
    late = office.post(TOKEN, {"email": CustomerFactory().email, "password": PASSWORD})
    assert late.status_code == 429
    assert "from your address" in late.json()["detail"]


def test_one_account_is_limited_whichever_addresses_ask(rates, frozen):
    rates(token_account="3/min", token_address="100/min")
    customer = CustomerFactory()
    for address in range(3):
        APIClient(REMOTE_ADDR=f"203.0.113.{address + 1}").post(
            TOKEN, {"email": customer.email, "password": "guess"}
        )
    answer = APIClient(REMOTE_ADDR="203.0.113.77").post(
        TOKEN, {"email": customer.email.upper(), "password": PASSWORD}
    )
    assert answer.status_code == 429 and answer["Retry-After"] == "60"
    frozen.shift(timedelta(seconds=61))
    again = APIClient(REMOTE_ADDR="203.0.113.77").post(
        TOKEN, {"email": customer.email, "password": PASSWORD}
    )
    assert again.status_code == 200
