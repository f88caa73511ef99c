"""The Django admin as admins meet it: its name, its icon, readable labels."""

import pytest

from tests.factories import AgentFactory, UserFactory, login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory(is_staff=True, is_superuser=True, role="admin")
    login_verified(client, admin)
    return client


def test_the_admin_is_called_redress_administration_and_names_its_icon(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "Redress administration" in page
    assert "Django administration" not in page and "Django site admin" not in page
    assert 'rel="icon" href="/static/favicon.svg"' in page


def test_favicon_ico_leads_to_the_site_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"


def test_the_admin_lists_every_app_under_a_readable_name(admin_client):
    page = admin_client.get("/admin/").content.decode()
    for name in ("Two-factor sign-in (authenticator apps)", "API tokens", "Sign-in attempts"):
        assert name in page
    for raw in ("OTP_TOTP", "Otp_Totp", "Auth Token", ">Axes<"):
        assert raw not in page


def test_admins_find_the_admin_in_the_staff_navigation(client, admin_client):
    assert 'href="/admin/" id="nav-admin"' in admin_client.get("/staff/").content.decode()
    agent = AgentFactory()
    login_verified(client, agent)
    assert 'id="nav-admin"' not in client.get("/staff/").content.decode()
