"""API tokens expire, are listed and revoked by their owner and admins, and end with the
password that issued them."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AccountEvent, ApiToken
from accounts.tokens import token_issue
from tests.factories import PASSWORD, CustomerFactory, UserFactory, login_verified

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
TOKENS = "/api/v1/auth/tokens/"
NEW_PASSWORD = "another-unusual-passphrase"


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def sign_in(user, name="") -> dict:
    response = APIClient().post(TOKEN, {"email": user.email, "password": PASSWORD, "name": name})
    assert response.status_code == 200
    return response.json()


def test_a_token_works_until_it_expires(settings):
    settings.REDRESS_API_TOKEN_DAYS = 30
    customer = CustomerFactory()
    issued = sign_in(customer)
    client = with_token(issued["token"])
    assert client.get("/api/v1/tickets/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=30, minutes=1)):
        expired = client.get("/api/v1/tickets/")
    assert expired.status_code == 401
    assert expired.json()["code"] == "token_invalid"


def test_each_sign_in_is_its_own_token_and_only_its_hash_is_stored():
    customer = CustomerFactory()
    first, second = sign_in(customer, "phone"), sign_in(customer, "laptop")
    assert first["token"] != second["token"]
    stored = ApiToken.objects.get(pk=first["id"])
    assert stored.name == "phone" and stored.prefix == first["token"][:8]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        rows = str(cursor.fetchall())
    assert first["token"] not in rows and second["token"] not in rows
    assert customer.account_events.filter(kind=AccountEvent.Kind.TOKEN_ISSUED).count() == 2


def test_the_owner_lists_and_revokes_their_tokens_through_the_api():
    customer, other = CustomerFactory(), CustomerFactory()
    phone, laptop = sign_in(customer, "phone"), sign_in(customer, "laptop")
    foreign = sign_in(other)
    client = with_token(phone["token"])
    listed = client.get(TOKENS).json()
    assert {t["name"]: t["current"] for t in listed} == {"phone": True, "laptop": False}
    assert all("token" not in t for t in listed)
    assert client.delete(f"{TOKENS}{foreign['id']}/").status_code == 404
    assert client.delete(f"{TOKENS}{laptop['id']}/").status_code == 204
    assert with_token(laptop["token"]).get(TOKENS).status_code == 401
    # Revoking the token in use signs this client out.
    assert client.delete(f"{TOKENS}{phone['id']}/").status_code == 204
    assert client.get(TOKENS).status_code == 401
    assert with_token(foreign["token"]).get(TOKENS).status_code == 200
    assert customer.account_events.filter(kind=AccountEvent.Kind.TOKEN_REVOKED).count() == 2


def test_the_owner_sees_and_revokes_tokens_on_the_profile_page(client):
    customer = CustomerFactory()
    issued = sign_in(customer, "trading bot")
    client.force_login(customer)
    page = client.get("/accounts/profile/").content.decode()
    assert "trading bot" in page and issued["token"][:8] in page
    assert issued["token"] not in page
    client.post(f"/accounts/profile/tokens/{issued['id']}/revoke/")
    assert with_token(issued["token"]).get(TOKENS).status_code == 401
    assert "No app holds a token" in client.get("/accounts/profile/").content.decode()


def test_an_admin_revokes_tokens_in_the_admin(client):
    admin = UserFactory(is_staff=True, is_superuser=True, role="admin")
    customer = CustomerFactory()
    issued = sign_in(customer)
    login_verified(client, admin)
    listing = client.get("/admin/accounts/apitoken/")
    assert listing.status_code == 200 and issued["token"][:8] in listing.content.decode()
    client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [issued["id"]]},
    )
    assert with_token(issued["token"]).get(TOKENS).status_code == 401
    event = customer.account_events.get(kind=AccountEvent.Kind.TOKEN_REVOKED)
    assert event.actor == admin
    # and every token of a user at once, from the users list
    again = sign_in(customer)
    client.post(
        "/admin/accounts/user/",
        {"action": "revoke_api_tokens", "_selected_action": [customer.pk]},
    )
    assert with_token(again["token"]).get(TOKENS).status_code == 401


def test_a_password_change_on_the_profile_revokes_every_token(client):
    customer = CustomerFactory()
    keys = [sign_in(customer)["token"] for _ in range(2)]
    client.force_login(customer)
    client.post(
        "/accounts/profile/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert [with_token(key).get(TOKENS).status_code for key in keys] == [401, 401]


def test_a_password_reset_revokes_every_token():
    customer = CustomerFactory()
    key = sign_in(customer)["token"]
    browser = Client()
    browser.post("/accounts/password-reset/", {"email": customer.email})
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mail.outbox[0].body)[1]
    form_url = browser.get(link, follow=True).redirect_chain[-1][0]
    browser.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert with_token(key).get(TOKENS).status_code == 401


def test_a_password_set_anywhere_else_revokes_them_too(monkeypatch):
    customer = CustomerFactory()
    _token, key = token_issue(user=customer)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)
    call_command("changepassword", customer.email, stdout=None)
    assert with_token(key).get(TOKENS).status_code == 401
    # Saving a user for any other reason leaves their tokens alone.
    _token, key = token_issue(user=customer)
    customer.refresh_from_db()
    customer.full_name = "Renamed"
    customer.save()
    assert with_token(key).get(TOKENS).status_code == 200
