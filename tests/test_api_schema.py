"""The OpenAPI schema describes what the API answers: its refusals with their bodies,
fields that may be null, and each category's evidence fields."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation


def error_schema(schema, response) -> set[str]:
    body = response["content"]["application/json"]["schema"]
    refs = [body["$ref"]] if "$ref" in body else [r["$ref"] for r in body["anyOf"]]
    names = {ref.rsplit("/", 1)[1] for ref in refs}
    assert names <= set(schema["components"]["schemas"])
    return names


def test_every_operation_documents_its_refusals_with_their_bodies(schema):
    seen = set()
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        expected = {"401", "403", "429"}
        if method in ("POST", "PUT", "PATCH"):
            expected |= {"400", "413", "415"}
        if "{" in path:
            expected.add("404")
        if method != "GET" and path.startswith(("/api/v1/tickets", "/api/v1/sla-policies")):
            expected.add("409")
        missing = expected - set(responses)
        assert not missing, f"{method} {path} does not document {sorted(missing)}"
        for status in expected:
            names = error_schema(schema, responses[status])
            seen.add(status)
            if status == "400":
                assert names == {"ValidationError"}
            elif status == "409":
                assert names == {"Conflict"}
            elif status == "429":
                assert names == {"Throttled"}
                assert "Retry-After" in responses[status]["headers"]
            elif status in ("413", "415"):
                assert names == {"Error", "ValidationError"}
            else:
                assert names == {"Error"}
    assert seen == {"400", "401", "403", "404", "409", "413", "415", "429"}
    errors = schema["components"]["schemas"]
    assert errors["Error"]["required"] == ["detail", "code"]
    assert {"retry_after", "unlock_url"} <= set(errors["Throttled"]["properties"])
    assert "existing" in errors["Conflict"]["properties"]


def test_the_ticket_list_documents_bad_filters_and_cursors(schema):
    responses = schema["paths"]["/api/v1/tickets/"]["get"]["responses"]
    assert {"400", "404"} <= set(responses)


def test_fields_that_may_be_null_say_so(schema):
    components = schema["components"]["schemas"]
    for component in ("TicketListOutput", "TicketDetailOutput"):
        assert components[component]["properties"]["assignee"]["nullable"] is True
    for field in ("asset", "network"):
        assert components["TicketFieldsOutput"]["properties"][field]["nullable"] is True


def test_the_evidence_fields_and_what_each_category_needs_are_described(schema):
    fields = schema["components"]["schemas"]["TicketCreateInputRequest"]["properties"]["fields"]
    assert {"occurred_at", "asset", "network", "amount", "txid", "wallet_address"} <= set(
        fields["properties"]
    )
    assert fields["properties"]["occurred_at"]["format"] == "date-time"
    assert (
        "`withdrawal-not-received`: required occurred_at, asset, network, amount, wallet_address"
        in fields["description"]
    )


def test_the_schema_endpoint_validates_as_openapi():
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    validate_schema(response.json())


def test_unknown_api_paths_answer_in_json():
    response = APIClient().get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert APIClient().get("/api/v1/auth/tokens/abc/").json()["code"] == "not_found"


def test_evidence_fields_of_the_wrong_shape_are_a_400():
    client = APIClient()
    client.force_authenticate(CustomerFactory())
    response = client.post(
        "/api/v1/tickets/",
        {
            "category": "other",
            "subject": "Help",
            "description": "It broke.",
            "fields": {"txid": ["not", "text"], "amount": True},
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"txid", "amount"}
