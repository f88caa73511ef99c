"""Schemathesis against the OpenAPI schema, in-process, with a customer's and a staff
member's token: no 5xx, and every answer (status, content type, headers, body) as the
schema documents it, for valid input and for input the schema rules out. Bounded: a few
examples per operation and role (REDRESS_FUZZ_EXAMPLES, default 4: about three minutes
on the 2-core machine; more for a deeper run).

    uv run --no-sync pytest -m schemathesis
    REDRESS_FUZZ_EXAMPLES=50 uv run --no-sync pytest -m schemathesis -n 2
"""

import os
import zlib

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tokens import token_issue
from sla.models import SLAPolicy
from tests.factories import AgentFactory, CustomerFactory, UserFactory, enroll_totp, png_upload
from tickets import services
from tickets.models import Category

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("REDRESS_FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(db):
    loaded = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    loaded.app = get_wsgi_application()  # requests go to Django in this process
    # As Django's test client does: the test's transaction keeps its connection open.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield loaded
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(db):
    """A customer with a case and its evidence, an agent of its team and an admin."""
    customer = CustomerFactory()
    agent = AgentFactory()
    admin = UserFactory(is_staff=True, is_superuser=True, role="admin")
    for staff in (agent, admin):
        enroll_totp(staff)
    category = Category.objects.get(code="kyc")
    category.team.members.add(agent)
    ticket = services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category,
        subject="KYC stuck",
        description="Under review for two weeks.",
        fields={},
        files=[png_upload()],
    )
    return {
        "customer": token_issue(user=customer)[1],
        "staff": token_issue(user=agent)[1],
        "admin": token_issue(user=admin)[1],
        "reference": ticket.reference,
        "attachment_id": str(ticket.attachments.get().pk),
        "id": str(SLAPolicy.objects.order_by("pk").first().pk),
    }


BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    database=None,
)


def call_as(role, case, world):
    # Half the paths name the world's own case, evidence and policy, so the operations
    # are tried on something that exists as well as on what does not.
    for name in ("reference", "attachment_id", "id"):
        value = (case.path_parameters or {}).get(name)
        if value is not None and zlib.crc32(str(value).encode()) % 2 == 0:
            case.path_parameters[name] = world[name]
    case.call_and_validate(headers={"Authorization": f"Token {world[role]}"}, checks=CHECKS)


def exercise(operation, mode, role, world) -> None:
    @BOUNDED
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        call_as(role, case, world)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("role", ["customer", "staff", "admin"])
def test_the_api_answers_as_its_schema_says(api_schema, world, role, mode):
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        try:
            exercise(operation, mode, role, world)
        except Unsatisfiable:
            assert mode == GenerationMode.NEGATIVE  # nothing in the operation to make invalid
        except (Exception, FailureGroup) as error:  # try every operation, report all failures
            failures.append(f"{operation.label}:\n{error}")
    assert not failures, "\n\n".join(failures)
