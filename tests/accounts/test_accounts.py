import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AccessLink, AccountEvent
from accounts.roles import has_role, is_staff_member
from tests.factories import PASSWORD, AgentFactory, CustomerFactory, category
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
User = get_user_model()

NEW_PASSWORD = "another-unusual-passphrase"


def sign_up(client, **overrides):
    data = {
        "email": "Lin.Wei@Example.com",
        "full_name": "Lin Wei",
        "exchange_uid": "38211907",
        "preferred_language": "zh-hans",
        "password": "a-long-and-unusual-passphrase",
    }
    data.update(overrides)
    return client.post(reverse("accounts:sign_up"), data, follow=True)


def visible_text(response) -> str:
    html = response.content.decode()
    main = html[html.index("<main") :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).strip()


def link_in(message, name: str) -> str:
    path = reverse(name, args=["TOKEN"]).replace("TOKEN/", "")
    return re.search(rf"http://127\.0\.0\.1:8000({re.escape(path)}[\w-]+/)", message.body)[1]


def test_sign_up_makes_an_unconfirmed_customer_and_mails_a_link(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client)
    assert response.redirect_chain[-1][0] == reverse("accounts:sign_up_sent")
    assert "Check your mail" in visible_text(response)
    user = User.objects.get(email="lin.wei@example.com")
    assert has_role(user, roles.CUSTOMER) and not is_staff_member(user)
    assert user.customer_profile.exchange_uid == "38211907"
    assert user.customer_profile.preferred_language == "zh-hans"
    assert not user.email_verified
    assert "_auth_user_id" not in client.session  # not signed in before the address is proved
    (sent,) = mail.outbox
    assert sent.to == ["lin.wei@example.com"]
    assert "确认" in sent.subject  # in the language chosen at sign-up
    assert user.account_events.filter(kind=AccountEvent.Kind.SIGNED_UP).exists()


def test_the_mailed_link_confirms_the_address_once_and_then_the_customer_files(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, preferred_language="en")
    link = link_in(mail.outbox[0], "accounts:confirm_email")
    page = client.get(link)
    assert page.status_code == 200 and "Your email address is confirmed" in visible_text(page)
    user = User.objects.get(email="lin.wei@example.com")
    assert user.email_verified
    assert client.get(link).status_code == 200  # opened again: still says confirmed
    assert AccessLink.objects.get(user=user).used_at is not None

    login = client.post(
        reverse("accounts:login"),
        {"username": user.email, "password": "a-long-and-unusual-passphrase"},
    )
    assert login.status_code == 302
    assert client.get(reverse("tickets:file")).status_code == 200


def test_sign_up_does_not_say_whether_the_address_has_an_account(
    client, django_capture_on_commit_callbacks
):
    CustomerFactory(email="lin.wei@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        taken = sign_up(client, email="LIN.WEI@example.com")
        fresh = sign_up(client, email="new.person@example.com")
    assert taken.status_code == fresh.status_code == 200
    assert visible_text(taken).replace("LIN.WEI@example.com", "X") == visible_text(fresh).replace(
        "new.person@example.com", "X"
    )
    assert "exists" not in visible_text(taken)
    assert User.objects.filter(email__iexact="lin.wei@example.com").count() == 1
    # The owner of the taken address is told instead, and the mail says how to sign in.
    (told, confirm) = mail.outbox
    assert told.to == ["lin.wei@example.com"]
    assert "already has an account" in told.body
    assert reverse("accounts:password_reset") in told.body
    assert confirm.to == ["new.person@example.com"]


def test_signing_up_again_before_confirming_mails_a_new_link_and_voids_the_old(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, preferred_language="en")
        sign_up(client, preferred_language="en")
    first, second = (link_in(m, "accounts:confirm_email") for m in mail.outbox)
    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 200


def test_a_confirmation_link_expires(client, django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, preferred_language="en")
    link = link_in(mail.outbox[0], "accounts:confirm_email")
    hours = settings.REDRESS_EMAIL_VERIFICATION_HOURS
    with time_machine.travel(timezone.now() + timedelta(hours=hours, minutes=1)):
        assert client.get(link).status_code == 400
    assert not User.objects.get(email="lin.wei@example.com").email_verified


def test_an_unconfirmed_customer_cannot_file_through_any_door(
    client, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(email_verified_at=None)
    client.force_login(customer)
    page = client.get(reverse("tickets:file"))
    assert "Confirm your email address first" in visible_text(page)
    assert 'name="category"' not in page.content.decode()
    assert client.post(reverse("tickets:file"), {"category": "other"}).status_code == 200
    assert not Ticket.objects.filter(customer=customer).exists()
    with django_capture_on_commit_callbacks(execute=True):
        resent = client.post(reverse("accounts:confirm_email_resend"), follow=True)
    assert "We sent a new link" in visible_text(resent)
    assert mail.outbox[-1].to == [customer.email]

    api = APIClient()
    api.force_authenticate(customer)
    body = {"category": category().code, "subject": "Help", "description": "It broke."}
    filed = api.post("/api/v1/tickets/", body, format="json")
    assert filed.status_code == 403
    assert "Confirm your email address first" in filed.json()["detail"]


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


def test_password_reset_mails_a_link_that_works_and_confirms_the_address(
    client, django_capture_on_commit_callbacks
):
    user = CustomerFactory(email_verified_at=None)
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    (sent,) = mail.outbox
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", sent.body)[1]
    form = client.get(link, follow=True)
    assert form.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            form.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert user.email_verified  # the link in the mail proved the mailbox
    assert user.account_events.filter(kind=AccountEvent.Kind.PASSWORD_RESET).exists()
    assert mail.outbox[-1].to == [user.email]  # "your password was reset"


def test_profile_update(client):
    user = CustomerFactory()
    client.force_login(user)
    client.post(
        reverse("accounts:profile"),
        {"full_name": "New Name", "exchange_uid": "999", "preferred_language": "en"},
    )
    user.refresh_from_db()
    assert user.full_name == "New Name" and user.customer_profile.exchange_uid == "999"


def change_password(client, old=PASSWORD, new=NEW_PASSWORD, again=None):
    return client.post(
        reverse("accounts:password_change"),
        {"old_password": old, "new_password1": new, "new_password2": again or new},
        follow=True,
    )


def test_a_customer_changes_their_password_on_the_profile_page(
    client, django_capture_on_commit_callbacks
):
    user = CustomerFactory()
    client.force_login(user)
    assert (
        'action="/accounts/profile/password/"' in client.get("/accounts/profile/").content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = change_password(client)
    assert "Your password is changed" in visible_text(response)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get(reverse("tickets:my_tickets")).status_code == 200  # still signed in here
    assert user.account_events.filter(kind=AccountEvent.Kind.PASSWORD_CHANGED).exists()
    (notice,) = mail.outbox
    assert notice.to == [user.email] and "Password changed" in notice.subject


def test_a_password_change_needs_the_current_password_and_a_good_new_one(client):
    user = CustomerFactory()
    client.force_login(user)
    wrong = change_password(client, old="not-it")
    assert wrong.status_code == 400 and "not your current password" in visible_text(wrong)
    weak = change_password(client, new="password")
    assert weak.status_code == 400 and "too common" in visible_text(weak)
    differ = change_password(client, again="something-else-entirely")
    assert differ.status_code == 400 and "differ" in visible_text(differ)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_password_change_signs_other_browsers_out(client):
    user = CustomerFactory()
    other = type(client)()
    other.force_login(user)
    client.force_login(user)
    change_password(client)
    assert other.get(reverse("tickets:my_tickets")).status_code == 302


def test_roles_are_groups_and_staff_are_recognised():
    assert is_staff_member(AgentFactory())
    assert not is_staff_member(CustomerFactory())
