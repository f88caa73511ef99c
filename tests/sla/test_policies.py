"""SLA policies: validation, the fallback guard, the admin page and the admin-only API."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from sla import services
from sla.forms import format_span, parse_span
from sla.models import SLAPolicy
from tests.factories import AgentFactory, CustomerFactory, UserFactory, category, login_verified

pytestmark = pytest.mark.django_db


def policy_values(**overrides):
    values = {
        "name": "KYC urgent",
        "tier": "support",
        "category": category("kyc"),
        "priority": "urgent",
        "first_response_target": timedelta(hours=1),
        "next_response_target": timedelta(hours=2),
        "resolution_target": timedelta(days=1),
        "warning_percent": 80,
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"first_response_target": timedelta(0)}, "first_response_target"),
        ({"resolution_target": timedelta(minutes=-5)}, "resolution_target"),
        ({"warning_percent": 100}, "warning_percent"),
        ({"warning_percent": 0}, "warning_percent"),
    ],
)
def test_invalid_policies_are_refused_with_a_message(change, field):
    with pytest.raises(ValidationError) as refused:
        services.sla_policy_save(**policy_values(**change))
    assert field in refused.value.message_dict


def test_overlapping_rules_are_refused():
    services.sla_policy_save(**policy_values())
    with pytest.raises(ValidationError, match="exists already"):
        services.sla_policy_save(**policy_values(name="again"))
    with pytest.raises(ValidationError, match="exists already"):
        services.sla_policy_save(
            **policy_values(category=None, priority="", name="second fallback")
        )


def test_fallbacks_cannot_be_deleted_or_narrowed():
    fallback = SLAPolicy.objects.get(tier="support", category=None, priority="")
    with pytest.raises(services.PolicyProtected):
        services.sla_policy_delete(policy=fallback)
    with pytest.raises(services.PolicyProtected):
        services.sla_policy_save(policy=fallback, priority="low")
    services.sla_policy_save(policy=fallback, first_response_target=timedelta(hours=30))
    fallback.refresh_from_db()
    assert fallback.first_response_target == timedelta(hours=30)


def test_the_admin_page_shows_when_a_ticket_filed_now_would_be_due(client):
    login_verified(client, AgentFactory(is_superuser=True))
    html = client.get(reverse("admin:sla_slapolicy_changelist")).content.decode()
    assert "first reply due if filed now" in html.lower()
    assert "Support: compromised account" in html


def test_admin_links_from_before_the_move_to_the_sla_app_still_land(client):
    response = client.get("/admin/escalation/slapolicy/3/change/?_changelist_filters=tier")
    assert response.status_code == 301
    assert response["Location"] == "/admin/sla/slapolicy/3/change/?_changelist_filters=tier"


def test_api_is_for_admins_only():
    assert APIClient().get("/api/v1/sla-policies/").status_code in (401, 403)
    for user in (CustomerFactory(), AgentFactory()):
        client = APIClient()
        client.force_authenticate(user)
        assert client.get("/api/v1/sla-policies/").status_code == 403


def test_api_crud_with_validation():
    client = APIClient()
    client.force_authenticate(AgentFactory(role="admin"))
    listing = client.get("/api/v1/sla-policies/").json()
    assert {p["tier"] for p in listing} == {"support", "appeal_center", "dispute_committee"}
    assert all(p["due_if_filed_now"]["first_response"] for p in listing)
    body = {
        "name": "KYC urgent",
        "tier": "support",
        "category": "kyc",
        "priority": "urgent",
        "first_response_target": "01:00:00",
        "next_response_target": "02:00:00",
        "resolution_target": "1 00:00:00",
        "warning_percent": 80,
    }
    created = client.post("/api/v1/sla-policies/", body, format="json")
    assert created.status_code == 201, created.json()
    duplicate = client.post("/api/v1/sla-policies/", body, format="json")
    assert duplicate.status_code == 400 and "exists already" in str(duplicate.json())
    bad = client.post(
        "/api/v1/sla-policies/", {**body, "priority": "low", "warning_percent": 150}, format="json"
    )
    assert bad.status_code == 400 and "warning_percent" in bad.json()
    policy_id = created.json()["id"]
    assert (
        client.patch(
            f"/api/v1/sla-policies/{policy_id}/", {"warning_percent": 60}, format="json"
        ).status_code
        == 200
    )
    assert client.delete(f"/api/v1/sla-policies/{policy_id}/").status_code == 204
    fallback = SLAPolicy.objects.get(tier="support", category=None, priority="")
    refused = client.delete(f"/api/v1/sla-policies/{fallback.pk}/")
    assert refused.status_code == 409 and "fallback" in refused.json()["detail"]


def test_the_admin_types_and_reads_targets_in_days_hours_and_minutes(client):
    login_verified(client, UserFactory(is_staff=True, is_superuser=True, role="admin"))
    fallback = SLAPolicy.objects.get(tier="support", category=None, priority="")
    url = reverse("admin:sla_slapolicy_change", args=[fallback.pk])
    form = client.get(url).content.decode()
    assert f'value="{format_span(fallback.resolution_target)}"' in form
    assert "for example 8 h, 2 d or 1 d 4 h 30 min" in form
    assert " 00:00:00" not in form
    data = {
        "name": fallback.name,
        "first_response_target": "8 h",
        "next_response_target": "1 d 4 h 30 min",
        "resolution_target": "2 d",
        "warning_percent": fallback.warning_percent,
        "calendar": "",
    }
    refused = client.post(url, {**data, "first_response_target": "eight hours"})
    assert refused.status_code == 200 and "for example 8 h" in refused.content.decode()
    assert client.post(url, data).status_code == 302
    fallback.refresh_from_db()
    assert fallback.first_response_target == timedelta(hours=8)
    assert fallback.next_response_target == timedelta(days=1, hours=4, minutes=30)
    assert fallback.resolution_target == timedelta(days=2)
    listing = client.get(reverse("admin:sla_slapolicy_changelist")).content.decode()
    assert ">8 h<" in listing and ">2 d<" in listing


@pytest.mark.parametrize(
    ("typed", "span"),
    [
        ("8 h", timedelta(hours=8)),
        ("2d", timedelta(days=2)),
        ("1 d 4 h 30 min", timedelta(days=1, hours=4, minutes=30)),
        ("90 min", timedelta(minutes=90)),
        ("1 天 2 小时", timedelta(days=1, hours=2)),
    ],
)
def test_a_span_is_read_in_either_languages_units(typed, span):
    assert parse_span(typed) == span


def test_a_span_is_written_in_the_readers_language():
    assert format_span(timedelta(days=1, hours=4)) == "1 d 4 h"
    with translation.override("zh-hans"):
        assert format_span(timedelta(days=1, hours=4)) == "1 天 4 小时"


def test_the_default_policies_are_named_in_chinese_on_a_chinese_page():
    policy = SLAPolicy.objects.get(name="Support: compromised account")
    with translation.override("zh-hans"):
        assert policy.label == "客服支持：账户被盗"
    with translation.override("en"):
        assert policy.label == "Support: compromised account"
    assert not SLAPolicy.objects.filter(name_zh="").exists()  # every default has its name
