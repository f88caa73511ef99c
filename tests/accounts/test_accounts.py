import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from accounts import roles
from accounts.roles import has_role, is_staff_member
from tests.factories import PASSWORD, AgentFactory, CustomerFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def sign_up(client, **overrides):
    data = {
        "email": "Lin.Wei@Example.com",
        "full_name": "Lin Wei",
        "exchange_uid": "38211907",
        "preferred_language": "zh-hans",
        "password": "a-long-and-unusual-passphrase",
    }
    data.update(overrides)
    return client.post(reverse("accounts:sign_up"), data)


def test_sign_up_makes_a_customer_with_a_profile_and_signs_in(client):
    response = sign_up(client)
    assert response.status_code == 302 and response["Location"] == reverse("tickets:file")
    user = User.objects.get(email="lin.wei@example.com")
    assert has_role(user, roles.CUSTOMER) and not is_staff_member(user)
    assert user.customer_profile.exchange_uid == "38211907"
    assert user.customer_profile.preferred_language == "zh-hans"
    assert client.get(reverse("tickets:my_tickets")).status_code == 200


def test_sign_up_refuses_a_taken_email_and_keeps_the_rest(client):
    CustomerFactory(email="lin.wei@example.com")
    response = sign_up(client, email="LIN.WEI@example.com")
    html = response.content.decode()
    assert "exists already" in html
    assert 'value="38211907"' in html
    assert User.objects.filter(email__iexact="lin.wei@example.com").count() == 1


def test_sign_up_refuses_a_weak_password(client):
    response = sign_up(client, password="password")
    assert "too common" in response.content.decode()
    assert not User.objects.filter(email="lin.wei@example.com").exists()


def test_login_with_email_and_a_vague_error(client):
    user = CustomerFactory()
    bad = client.post(reverse("accounts:login"), {"username": user.email, "password": "wrong"})
    unknown = client.post(
        reverse("accounts:login"), {"username": "nobody@example.com", "password": "x"}
    )
    assert bad.status_code == unknown.status_code == 200
    error = "Please enter a correct email address and password"
    assert error in bad.content.decode() and error in unknown.content.decode()
    good = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert good.status_code == 302


def test_password_reset_mails_a_link_that_works(client):
    user = CustomerFactory()
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    (sent,) = mail.outbox
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", sent.body)[1]
    form = client.get(link, follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0],
        {
            "new_password1": "another-unusual-passphrase",
            "new_password2": "another-unusual-passphrase",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-unusual-passphrase")


def test_profile_update(client):
    user = CustomerFactory()
    client.force_login(user)
    client.post(
        reverse("accounts:profile"),
        {"full_name": "New Name", "exchange_uid": "999", "preferred_language": "en"},
    )
    user.refresh_from_db()
    assert user.full_name == "New Name" and user.customer_profile.exchange_uid == "999"


def test_roles_are_groups_and_staff_are_recognised():
    assert is_staff_member(AgentFactory())
    assert not is_staff_member(CustomerFactory())
