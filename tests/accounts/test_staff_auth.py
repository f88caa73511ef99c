"""Staff sign in with a password and a TOTP code; nothing for staff opens on the password alone."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from accounts.access import StaffVerified
from accounts.models import ApiToken
from accounts.tokens import ApiTokenAuthentication, token_issue
from tests.factories import (
    PASSWORD,
    AgentFactory,
    CustomerFactory,
    UserFactory,
    enroll_totp,
    login_verified,
    totp_code,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.urls")]

PROBE = "/staff/probe/"
LOGIN = "/accounts/login/"
OTP = "/accounts/login/code/"


@pytest.fixture
def agent():
    user = AgentFactory(email="agent@example.com")
    enroll_totp(user)
    return user


def password_step(client, user, next_url=PROBE):
    return client.post(f"{LOGIN}?next={next_url}", {"username": user.email, "password": PASSWORD})


def test_staff_password_leads_to_the_code_step_not_to_staff_pages(client, agent):
    response = password_step(client, agent)
    assert response.status_code == 302
    assert response["Location"] == f"{OTP}?next={PROBE}"
    page = client.get(response["Location"])
    assert "Enter the 6-digit code from your authenticator app" in page.content.decode()
    # signed in by password only: the staff page sends the agent back to the code step
    probe = client.get(PROBE)
    assert probe.status_code == 302 and probe["Location"].startswith(OTP)


def test_the_right_code_opens_staff_pages(client, agent):
    password_step(client, agent)
    session_before = client.session.session_key
    response = client.post(OTP, {"otp_token": totp_code(agent.totpdevice_set.get()), "next": PROBE})
    assert response.status_code == 302 and response["Location"] == PROBE
    assert client.get(PROBE).content == b"staff desk"
    assert client.session.session_key != session_before  # a new session id for the new rights


def test_a_wrong_code_is_refused_and_counts_as_a_failed_sign_in(client, agent):
    from axes.models import AccessAttempt

    password_step(client, agent)
    response = client.post(OTP, {"otp_token": "000000", "next": PROBE})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert client.get(PROBE).status_code == 302
    attempt = AccessAttempt.objects.get(username=agent.email)
    assert attempt.failures_since_start == 1
    assert "000000" not in attempt.post_data  # the code is masked in axes' records


def test_a_code_just_after_a_wrong_one_waits_for_the_throttle(client, agent):
    device = agent.totpdevice_set.get()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        password_step(client, agent)
        client.post(OTP, {"otp_token": "000000"})
        too_soon = client.post(OTP, {"otp_token": totp_code(device)})
        assert "Wait 1 second," in too_soon.content.decode()
        traveller.shift(timedelta(seconds=2))
        assert client.post(OTP, {"otp_token": totp_code(device)}).status_code == 302


def test_a_code_is_good_once(client, agent):
    device = agent.totpdevice_set.get()
    with time_machine.travel(timezone.now(), tick=False):
        code = totp_code(device)
        password_step(client, agent)
        assert client.post(OTP, {"otp_token": code}).status_code == 302
        other = APIClient()
        replay = other.post(
            "/api/v1/auth/token/",
            {"email": agent.email, "password": PASSWORD, "otp": code},
            format="json",
        )
        assert replay.status_code == 401


def test_a_password_only_staff_session_reaches_nothing_else(client, agent):
    password_step(client, agent)
    page = client.get(reverse("tickets:my_tickets"))
    assert page.status_code == 302 and page["Location"].startswith(OTP)
    api = client.get("/api/v1/tickets/")
    assert api.status_code == 403 and api.json()["code"] == "otp_required"
    assert client.get("/static/css/redress.css").status_code in (200, 404)  # not redirected
    # signing out is always possible
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert SESSION_KEY not in client.session


def test_a_customer_never_sees_staff_pages(client):
    customer = CustomerFactory()
    response = client.post(LOGIN, {"username": customer.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("tickets:my_tickets")
    assert client.get(PROBE).status_code == 404
    assert client.get(OTP).status_code == 302  # nothing to do there for a customer
    assert client.get("/admin/", follow=True).status_code == 404


def test_not_signed_in_is_asked_to_sign_in(client):
    response = client.get(PROBE)
    assert response.status_code == 302 and response["Location"] == f"{LOGIN}?next={PROBE}"


def test_staff_without_a_device_are_told_an_admin_must_enroll_them(client):
    agent = AgentFactory()
    response = password_step(client, agent)
    assert response.status_code == 200
    assert "Ask an administrator to enroll your authenticator app" in response.content.decode()
    assert SESSION_KEY not in client.session
    # a session that got in some other way (say the device was removed) is told the same
    client.force_login(agent)
    page = client.get(OTP)
    assert "Ask an administrator to enroll" in page.content.decode()
    assert 'name="otp_token"' not in page.content.decode()
    assert client.get(PROBE).status_code == 302


def test_the_admin_needs_the_second_factor(client):
    admin = UserFactory(is_staff=True, is_superuser=True, role="admin")
    enroll_totp(admin)
    client.force_login(admin)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"] == f"{OTP}?next=/admin/"
    # the admin's own login page sends people through the site's sign-in, too
    client.logout()
    login = client.get("/admin/login/?next=/admin/")
    assert login.status_code == 302 and login["Location"] == f"{LOGIN}?next=/admin/"
    login_verified(client, admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 200


def test_staff_land_on_the_queue_when_no_page_was_asked_for(client, agent):
    response = client.post(LOGIN, {"username": agent.email, "password": PASSWORD})
    assert response["Location"] == f"{OTP}?next=/staff/"
    response = client.post(
        OTP, {"otp_token": totp_code(agent.totpdevice_set.get()), "next": "/staff/"}
    )
    assert response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_the_code_step_ignores_a_next_page_on_another_site(client, agent):
    password_step(client, agent)
    response = client.post(
        OTP, {"otp_token": totp_code(agent.totpdevice_set.get()), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/staff/"


# The token endpoint


def token(client, **body):
    return client.post("/api/v1/auth/token/", body, format="json")


def test_customers_get_a_token_without_a_code():
    customer = CustomerFactory()
    response = token(APIClient(), email=customer.email, password=PASSWORD)
    assert response.status_code == 200 and response.json()["token"]


def test_staff_need_the_code_for_a_token(agent):
    client = APIClient()
    missing = token(client, email=agent.email, password=PASSWORD)
    assert missing.status_code == 401
    assert "otp" in missing.json()["detail"]
    assert missing["WWW-Authenticate"] == "Token"
    wrong = token(client, email=agent.email, password=PASSWORD, otp="000000")
    assert wrong.status_code == 401
    assert "not right" in wrong.json()["detail"]
    assert not ApiToken.objects.filter(user=agent).exists()


def test_staff_with_the_right_code_get_a_token_that_works_for_staff_actions(agent):
    device = agent.totpdevice_set.get()
    with time_machine.travel(timezone.now() + timedelta(seconds=5), tick=False):
        response = token(APIClient(), email=agent.email, password=PASSWORD, otp=totp_code(device))
    assert response.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/staff-probe/").json() == {"ok": True}


def test_staff_without_a_device_get_no_token():
    agent = AgentFactory()
    response = token(APIClient(), email=agent.email, password=PASSWORD, otp="123456")
    assert response.status_code == 401
    assert "administrator" in response.json()["detail"]


# The DRF permission other views add to staff actions


def test_staff_verified_lets_customers_tokens_and_verified_sessions_through(agent):
    customer = CustomerFactory()
    customer_client = APIClient()
    customer_client.force_login(customer)
    assert customer_client.get("/api/v1/staff-probe/").status_code == 200
    verified = APIClient()
    login_verified(verified, agent)
    assert verified.get("/api/v1/staff-probe/").status_code == 200


def _drf_request(user, verified: bool, authenticator):
    django_request = APIRequestFactory().get("/api/v1/staff-probe/")
    django_request.user = user
    user.is_verified = lambda: verified
    return Request(django_request, authenticators=[authenticator])


def test_staff_verified_refuses_a_password_only_session(agent):
    permission = StaffVerified()
    unverified = _drf_request(agent, False, SessionAuthentication())
    assert unverified.user == agent
    assert not permission.has_permission(unverified, None)
    assert permission.has_permission(_drf_request(agent, True, SessionAuthentication()), None)


def test_staff_verified_trusts_a_token(agent):
    _token, key = token_issue(user=agent)
    django_request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {key}")
    request = Request(django_request, authenticators=[ApiTokenAuthentication()])
    assert request.user == agent and not hasattr(request.user, "is_verified")
    assert StaffVerified().has_permission(request, None)


def test_the_admin_login_sends_verified_staff_only_to_this_site(client, agent):
    login_verified(client, agent)
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/login/?next=/admin/otp_totp/")["Location"] == "/admin/otp_totp/"
