import importlib
import shutil

import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import translation
from django.utils.functional import empty

from tickets.models import evidence_storage


@pytest.fixture(autouse=True)
def _private_evidence_root(tmp_path, settings):
    """Each test stores evidence in its own folder, so files never leak between tests."""
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    evidence_storage._wrapped = empty  # the lazy storage picks up the new root
    yield
    evidence_storage._wrapped = empty
    shutil.rmtree(tmp_path / "evidence", ignore_errors=True)


class _AppsOfToday:
    """The live registry, as data migrations ask it: by the app a model was in back then.

    The SLA policies were escalation's when their defaults were loaded (escalation 0002);
    they moved to the sla app since (sla 0001).
    """

    _moved = {("escalation", "slapolicy"): "sla"}

    def get_model(self, app_label: str, model_name: str):
        label = self._moved.get((app_label, model_name.lower()), app_label)
        return django_apps.get_model(label, model_name)


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests end by emptying every table; put the migrations' data back first.

    Roles, categories, networks and SLA policies come from data migrations, which a flush
    removes. Their loaders are idempotent, so calling them again is cheap and exact.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker and marker.kwargs.get("transaction")) or (
        "live_server" in request.fixturenames
    )
    if transactional:
        request.getfixturevalue("_django_db_helper")
        for module, loader in (
            ("accounts.migrations.0002_roles", "create_roles"),
            ("tickets.migrations.0003_reference_data", "load"),
            ("escalation.migrations.0002_default_policies", "load"),
            ("tickets.migrations.0018_asset_decimals", "set_decimals"),
            ("accounts.migrations.0006_team_name_zh", "name_the_teams_in_chinese"),
            ("sla.migrations.0002_policy_name_zh", "name_the_policies_in_chinese"),
        ):
            getattr(importlib.import_module(module), loader)(_AppsOfToday(), None)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Presence and counts live in the cache; ids repeat across tests, so start empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english():
    """Each test starts in English: a request in another language must not leak into the next."""
    with translation.override("en"):
        yield


def pytest_collection_modifyitems(config, items):
    """Tests that need PostgreSQL skip, saying so, when the suite runs on SQLite."""
    on_postgres = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)
