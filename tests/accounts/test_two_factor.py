"""Enrolling staff for TOTP: the demo secret, idempotent enrollment, what `make run` prints."""

import io

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.two_factor import base32_to_hex, totp_enroll
from tests.factories import AgentFactory, totp_code

pytestmark = pytest.mark.django_db


def test_a_base32_secret_becomes_the_hex_key_django_otp_stores():
    assert base32_to_hex("JBSWY3DPEHPK3PXP") == b"Hello!\xde\xad\xbe\xef".hex()
    assert base32_to_hex("jbsw y3dp ehpk 3pxp") == base32_to_hex("JBSWY3DPEHPK3PXP")
    with pytest.raises(ValueError):
        base32_to_hex("not base32!")
    with pytest.raises(ValueError):
        base32_to_hex("JBSWY3DP")  # 40 bits: too short to be a secret


def test_enrolling_twice_keeps_one_confirmed_device_with_the_latest_secret():
    agent = AgentFactory()
    first = totp_enroll(user=agent, base32_secret="JBSWY3DPEHPK3PXP", name="Phone")
    again = totp_enroll(user=agent, base32_secret="JBSWY3DPEHPK3PXP", name="Phone")
    assert first.pk == again.pk and again.confirmed
    changed = totp_enroll(user=agent, base32_secret="KRSXG5CTMVRXEZLU", name="Phone")
    assert changed.pk == first.pk and changed.key == base32_to_hex("KRSXG5CTMVRXEZLU")
    assert TOTPDevice.objects.filter(user=agent).count() == 1


def test_seed_demo_enrolls_every_staff_account_and_prints_the_secret(monkeypatch):
    monkeypatch.setenv("DEMO_TOTP_SECRET", "KRSXG5CTMVRXEZLU")
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=io.StringIO())  # again: nothing is duplicated
    devices = TOTPDevice.objects.filter(confirmed=True).select_related("user")
    assert sorted(d.user.email for d in devices) == [
        "admin@example.com",
        "agent@example.com",
        "appeals@example.com",
        "committee1@example.com",
        "committee2@example.com",
        "committee3@example.com",
    ]
    assert {d.key for d in devices} == {base32_to_hex("KRSXG5CTMVRXEZLU")}
    printed = out.getvalue()
    assert "KRSXG5CTMVRXEZLU" in printed
    assert "otpauth://totp/Redress:demo-staff?secret=KRSXG5CTMVRXEZLU&issuer=Redress" in printed
    assert len(totp_code(devices[0])) == 6
