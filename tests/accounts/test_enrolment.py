"""Staff enrol their own authenticator from an admin's single-use invitation, get ten
backup codes shown once and stored hashed, and change either only with the password and a
fresh code; every change is recorded and mailed to them."""

import re
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccessLink, AccountEvent, BackupCode
from tests.factories import PASSWORD, AgentFactory, CustomerFactory, UserFactory, login_verified

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
OTP = "/accounts/login/code/"


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what each change sends after commit (its mail), as a real request would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


@pytest.fixture
def admin_client():
    admin = UserFactory(is_staff=True, is_superuser=True, role="admin", email="boss@example.com")
    client = Client()
    login_verified(client, admin)
    client.admin = admin
    return client


def invite(admin_client, on_commit, user) -> str:
    on_commit(
        admin_client.post,
        "/admin/accounts/user/",
        {"action": "invite_to_enrol", "_selected_action": [user.pk]},
    )
    sent = [m for m in mail.outbox if m.to == [user.email]][-1]
    return re.search(r"http://127\.0\.0\.1:8000(/accounts/enrol/[\w-]+/)", sent.body)[1]


def current_code(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + offset
    return f"{totp.token():06d}"


def enrol(client, link, on_commit, password=PASSWORD):
    """Password, then the code of the new device; the backup codes' page."""
    client.post(link, {"step": "password", "password": password})
    device = TOTPDevice.objects.get(confirmed=False)
    page = on_commit(client.post, link, {"step": "code", "otp_token": current_code(device)})
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page.content.decode())
    return page, device, codes


def test_an_admin_invites_a_staff_member_by_mail(admin_client, on_commit):
    agent = AgentFactory()
    link = invite(admin_client, on_commit, agent)
    invitation = AccessLink.objects.get(user=agent, kind=AccessLink.Kind.ENROL)
    assert invitation.created_by == admin_client.admin
    assert invitation.expires_at - invitation.created_at == timedelta(hours=24)
    assert link.rsplit("/", 2)[1] not in invitation.token_hash  # only the hash is kept
    event = agent.account_events.get(kind=AccountEvent.Kind.ENROLMENT_INVITED)
    assert event.actor == admin_client.admin
    # Customers are not staff: no invitation for them.
    customer = CustomerFactory()
    on_commit(
        admin_client.post,
        "/admin/accounts/user/",
        {"action": "invite_to_enrol", "_selected_action": [customer.pk]},
    )
    assert not AccessLink.objects.filter(user=customer).exists()


def test_the_staff_member_scans_a_qr_code_confirms_and_gets_ten_backup_codes(
    admin_client, on_commit
):
    agent = AgentFactory()
    link = invite(admin_client, on_commit, agent)
    client = Client()
    first = client.get(link)
    assert first.status_code == 200 and agent.email in first.content.decode()
    assert 'name="password"' in first.content.decode()

    client.post(link, {"step": "password", "password": PASSWORD})
    qr_page = client.get(link)
    html = qr_page.content.decode()
    assert "<svg" in html and "<path" in html
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "style=" not in svg and "<script" not in html.split("</head>")[1]
    assert "script-src 'self'" in qr_page["Content-Security-Policy"]
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    assert re.search(r'id="enrol-secret">[A-Z2-7 ]{20,}<', html)

    wrong = client.post(link, {"step": "code", "otp_token": "000000"})
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        page = on_commit(client.post, link, {"step": "code", "otp_token": current_code(device)})
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page.content.decode())
    assert page.status_code == 200 and len(codes) == 10 == len(set(codes))
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/staff/").status_code == 200  # signed in, with the second factor

    with connection.cursor() as cursor:
        cursor.execute("SELECT code_hash FROM accounts_backupcode")
        stored = str(cursor.fetchall())
    assert not any(code.replace("-", "") in stored or code in stored for code in codes)
    assert BackupCode.objects.filter(user=agent, used_at__isnull=True).count() == 10
    assert agent.account_events.filter(kind=AccountEvent.Kind.ENROLLED).exists()
    assert "Authenticator enrolled" in mail.outbox[-1].subject
    # The invitation worked once.
    assert Client().get(link).status_code == 400


def test_the_invitation_lasts_a_day(admin_client, on_commit):
    agent = AgentFactory()
    link = invite(admin_client, on_commit, agent)
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        assert Client().get(link).status_code == 400


def test_a_new_invitation_voids_the_old_and_enrolling_again_replaces_the_device(
    admin_client, on_commit
):
    agent = AgentFactory()
    old_link = invite(admin_client, on_commit, agent)
    link = invite(admin_client, on_commit, agent)
    assert Client().get(old_link).status_code == 400
    _page, first_device, _codes = enrol(Client(), link, on_commit)
    again = invite(admin_client, on_commit, agent)
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        _page, second_device, _codes = enrol(Client(), again, on_commit)
    assert list(TOTPDevice.objects.filter(user=agent)) == [second_device]
    assert second_device.pk != first_device.pk


def test_a_wrong_password_on_the_invitation_counts_to_the_lockout(admin_client, on_commit):
    agent = AgentFactory()
    link = invite(admin_client, on_commit, agent)
    response = Client().post(link, {"step": "password", "password": "guess"})
    assert response.status_code == 400
    assert AccessAttempt.objects.get(username=agent.email).failures_since_start == 1
    assert not TOTPDevice.objects.filter(user=agent).exists()


@pytest.fixture
def enrolled(admin_client, on_commit):
    agent = AgentFactory()
    link = invite(admin_client, on_commit, agent)
    _page, device, codes = enrol(Client(), link, on_commit)
    mail.outbox.clear()
    return agent, device, codes


def password_step(client, user):
    return client.post(LOGIN, {"username": user.email, "password": PASSWORD})


def test_a_backup_code_signs_in_once(enrolled, on_commit):
    agent, _device, codes = enrolled
    client = Client()
    password_step(client, agent)
    assert on_commit(client.post, OTP, {"otp_token": codes[0].upper()}).status_code == 302
    assert client.get("/staff/").status_code == 200
    event = agent.account_events.get(kind=AccountEvent.Kind.BACKUP_CODE_USED)
    assert event.data == {"left": 9}
    assert mail.outbox[-1].to == [agent.email] and "9 unused backup codes" in mail.outbox[-1].body

    again = Client()
    password_step(again, agent)
    assert again.post(OTP, {"otp_token": codes[0]}).status_code == 200
    assert AccessAttempt.objects.get(username=agent.email).failures_since_start == 1
    # The token endpoint takes backup codes too.
    token = Client().post(
        "/api/v1/auth/token/",
        {"email": agent.email, "password": PASSWORD, "otp": codes[1]},
        content_type="application/json",
    )
    assert token.status_code == 200


def security_change(client, action, password, code):
    return client.post(
        "/accounts/security/",
        {"action": action, f"{action}-password": password, f"{action}-otp_token": code},
    )


def test_new_backup_codes_need_the_password_and_a_fresh_code(enrolled, on_commit):
    agent, device, codes = enrolled
    client = Client()
    login_verified(client, agent)
    page = client.get("/accounts/security/")
    assert "10 unused backup codes" in page.content.decode()

    later = timezone.now() + timedelta(seconds=31)
    with time_machine.travel(later, tick=False):
        refused = security_change(client, "regenerate", "not-it", current_code(device))
        assert refused.status_code == 400 and "not your password" in refused.content.decode()
        assert AccessAttempt.objects.get(username=agent.email).failures_since_start == 1
        stale = security_change(client, "regenerate", PASSWORD, "123456")
        assert stale.status_code == 400
    with time_machine.travel(later + timedelta(seconds=31), tick=False):
        renewed = on_commit(security_change, client, "regenerate", PASSWORD, current_code(device))
    new_codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", renewed.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    assert agent.account_events.filter(kind=AccountEvent.Kind.BACKUP_CODES_REGENERATED).exists()
    assert "Backup codes replaced" in mail.outbox[-1].subject

    old = Client()
    password_step(old, agent)
    assert old.post(OTP, {"otp_token": codes[5]}).status_code == 200  # old codes are dead
    assert old.post(OTP, {"otp_token": new_codes[0]}).status_code == 302


def test_removing_the_authenticator_needs_the_password_and_a_code_and_signs_out(
    enrolled, on_commit
):
    agent, _device, codes = enrolled
    client = Client()
    login_verified(client, agent)
    assert security_change(client, "remove", PASSWORD, "000000").status_code == 400
    assert TOTPDevice.objects.filter(user=agent).exists()
    removed = on_commit(security_change, client, "remove", PASSWORD, codes[3])
    assert removed.status_code == 302 and removed["Location"] == LOGIN
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert not BackupCode.objects.filter(user=agent).exists()
    assert agent.account_events.filter(kind=AccountEvent.Kind.DEVICE_REMOVED).exists()
    assert "Authenticator removed" in mail.outbox[-1].subject
    assert client.get("/staff/").status_code == 302
    # Without a device, the password alone opens nothing for staff.
    again = Client()
    assert "Ask an administrator" in password_step(again, agent).content.decode()
