"""The REST API contract of DESIGN.md, endpoint by endpoint, with the bad inputs."""

import hashlib
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import (
    PASSWORD,
    AgentFactory,
    CustomerFactory,
    TicketFactory,
    png_upload,
)
from tickets import search
from tickets.models import Attachment, Status, Ticket

pytestmark = pytest.mark.django_db

TRON_TXID = "c4b5fb0e1cf1b0a5b8f2a1e0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"
WITHDRAWAL = {
    "category": "withdrawal-not-received",
    "subject": "USDT withdrawal never arrived",
    "description": "I withdrew 1520.35 USDT on TRC20; nothing arrived.",
    "fields": {
        "occurred_at": "2026-11-18T10:18:00Z",
        "asset": "USDT",
        "network": "TRC20",
        "amount": "1520.35",
        "wallet_address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        "txid": TRON_TXID,
    },
}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def customer():
    return CustomerFactory()


@pytest.fixture
def api(customer):
    return client_for(customer)


def test_token_for_email_and_password_then_token_auth(customer):
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/",
        {"email": customer.email.upper(), "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/tickets/").status_code == 200


def test_a_wrong_password_does_not_say_which_part_was_wrong(customer):
    client = APIClient()
    wrong_password = client.post(
        "/api/v1/auth/token/", {"email": customer.email, "password": "nope"}, format="json"
    )
    no_such_user = client.post(
        "/api/v1/auth/token/", {"email": "ghost@example.com", "password": "nope"}, format="json"
    )
    assert wrong_password.status_code == no_such_user.status_code == 401
    assert wrong_password.json() == no_such_user.json()


def test_anonymous_requests_are_refused():
    assert APIClient().get("/api/v1/tickets/").status_code in (401, 403)


def test_categories_list_their_required_fields(api):
    response = api.get("/api/v1/categories/")
    assert response.status_code == 200
    by_code = {c["code"]: c for c in response.json()}
    assert "txid" in by_code["deposit-not-credited"]["required_fields"]
    assert by_code["compromised-account"]["default_priority"] == "urgent"
    assert len(by_code) == 13


def test_create_returns_the_ticket_with_fields_and_due_time(api):
    response = api.post("/api/v1/tickets/", WITHDRAWAL, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("RD-")
    assert body["status"] == "new" and body["tier"] == "support"
    assert body["fields"]["txid"] == TRON_TXID
    assert body["fields"]["network"] == "TRC20"
    assert body["first_response_due_at"]
    assert Ticket.objects.get(reference=body["reference"]).channel == "api"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"txid": "0xnothex"}, "txid"),
        ({"amount": "-1"}, "amount"),
        ({"wallet_address": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"}, "wallet_address"),
    ],
)
def test_create_refuses_bad_fields_with_field_messages(api, change, field):
    payload = {**WITHDRAWAL, "fields": {**WITHDRAWAL["fields"], **change}}
    response = api.post("/api/v1/tickets/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Ticket.objects.count() == 0


def test_create_refuses_a_seed_phrase_without_echoing_it(api):
    seed = "legal winner thank year wave sausage worth useful legal winner thank yellow"
    response = api.post(
        "/api/v1/tickets/", {**WITHDRAWAL, "description": f"my phrase: {seed}"}, format="json"
    )
    assert response.status_code == 400
    assert "description" in response.json()
    assert "sausage" not in response.content.decode()
    assert Ticket.objects.count() == 0


def test_a_duplicate_is_a_409_naming_the_open_case(api):
    first = api.post("/api/v1/tickets/", WITHDRAWAL, format="json").json()["reference"]
    response = api.post("/api/v1/tickets/", WITHDRAWAL, format="json")
    assert response.status_code == 409
    assert response.json()["existing"] == [first]
    forced = api.post("/api/v1/tickets/", {**WITHDRAWAL, "allow_duplicate": True}, format="json")
    assert forced.status_code == 201


def test_idempotency_key_returns_the_first_ticket(api):
    first = api.post("/api/v1/tickets/", WITHDRAWAL, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = api.post("/api/v1/tickets/", WITHDRAWAL, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and retry.status_code == 200
    assert retry.json()["reference"] == first.json()["reference"]
    assert Ticket.objects.count() == 1


def test_idempotency_key_reused_for_another_request_is_refused(api):
    api.post("/api/v1/tickets/", WITHDRAWAL, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = {**WITHDRAWAL, "subject": "something else", "allow_duplicate": True}
    response = api.post("/api/v1/tickets/", other, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 400
    assert "idempotency_key" in response.json()


def test_a_failed_create_does_not_burn_the_idempotency_key(api):
    bad = {**WITHDRAWAL, "fields": {**WITHDRAWAL["fields"], "amount": "0"}}
    assert (
        api.post("/api/v1/tickets/", bad, format="json", HTTP_IDEMPOTENCY_KEY="k-3").status_code
        == 400
    )
    ok = api.post("/api/v1/tickets/", WITHDRAWAL, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    assert ok.status_code == 201


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_make_exactly_one_ticket():
    customer = CustomerFactory()
    results, barrier = [], threading.Barrier(6)

    def retry():
        try:
            client = client_for(customer)
            barrier.wait()
            response = client.post(
                "/api/v1/tickets/", WITHDRAWAL, format="json", HTTP_IDEMPOTENCY_KEY="same-key"
            )
            results.append((response.status_code, response.json()["reference"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Ticket.objects.count() == 1
    assert len(results) == 6
    assert {reference for _, reference in results} == {Ticket.objects.get().reference}
    assert sorted(code for code, _ in results) == [200] * 5 + [201]


def test_list_shows_only_the_callers_tickets_with_cursor_pagination(api, customer):
    mine = [TicketFactory(customer=customer) for _ in range(3)]
    TicketFactory()  # someone else's
    page = api.get("/api/v1/tickets/?page_size=2").json()
    assert [t["reference"] for t in page["results"]] == [t.reference for t in mine[::-1][:2]]
    rest = api.get(page["next"]).json()
    assert [t["reference"] for t in rest["results"]] == [mine[0].reference]
    assert rest["next"] is None


def test_list_filters(api, customer):
    TicketFactory(customer=customer, status=Status.PENDING_CUSTOMER)
    with_txid = TicketFactory(customer=customer, status=Status.NEW, txid=TRON_TXID)
    search.reindex(with_txid.pk)  # the services index what they write; a factory does not
    pending = api.get("/api/v1/tickets/?status=pending_customer").json()["results"]
    assert [t["status"] for t in pending] == ["pending_customer"]
    found = api.get(f"/api/v1/tickets/?q={TRON_TXID}").json()["results"]
    assert len(found) == 1


def test_another_customers_ticket_is_a_404_everywhere(api):
    other = TicketFactory()
    attachment_owner = client_for(other.customer)
    upload = attachment_owner.post(
        f"/api/v1/tickets/{other.reference}/attachments/",
        {"file": png_upload()},
        format="multipart",
    ).json()
    assert api.get(f"/api/v1/tickets/{other.reference}/").status_code == 404
    assert api.get("/api/v1/tickets/RD-NONE-XIST/").status_code == 404
    assert (
        api.post(
            f"/api/v1/tickets/{other.reference}/messages/", {"body": "hi"}, format="json"
        ).status_code
        == 404
    )
    assert (
        api.post(
            f"/api/v1/tickets/{other.reference}/attachments/",
            {"file": png_upload()},
            format="multipart",
        ).status_code
        == 404
    )
    assert api.get(f"/api/v1/attachments/{upload['id']}/download/").status_code == 404


def test_customer_message_and_staff_internal_note_never_reaches_the_customer(api, customer):
    ticket = TicketFactory(customer=customer)
    assert (
        api.post(
            f"/api/v1/tickets/{ticket.reference}/messages/", {"body": "Any news?"}, format="json"
        ).status_code
        == 201
    )
    refused = api.post(
        f"/api/v1/tickets/{ticket.reference}/messages/",
        {"body": "x", "internal": True},
        format="json",
    )
    assert refused.status_code == 403
    agent = client_for(AgentFactory())
    note = agent.post(
        f"/api/v1/tickets/{ticket.reference}/messages/",
        {"body": "Looks like fraud, check KYC", "internal": True},
        format="json",
    )
    assert note.status_code == 201
    seen_by_customer = api.get(f"/api/v1/tickets/{ticket.reference}/").json()
    assert [m["body"] for m in seen_by_customer["messages"]] == ["Any news?"]
    assert "fraud" not in api.get(f"/api/v1/tickets/{ticket.reference}/").content.decode()
    seen_by_staff = agent.get(f"/api/v1/tickets/{ticket.reference}/").json()
    assert len(seen_by_staff["messages"]) == 2


def test_a_closed_case_refuses_messages_with_409(api, customer):
    ticket = TicketFactory(customer=customer, status=Status.CLOSED)
    response = api.post(
        f"/api/v1/tickets/{ticket.reference}/messages/", {"body": "hello"}, format="json"
    )
    assert response.status_code == 409
    assert "closed" in response.json()["detail"]


def test_upload_returns_metadata_and_download_is_an_attachment(api, customer):
    ticket = TicketFactory(customer=customer)
    upload = png_upload("wallet screenshot.png")
    content = upload.read()
    upload.seek(0)
    response = api.post(
        f"/api/v1/tickets/{ticket.reference}/attachments/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["filename"] == "wallet screenshot.png"
    assert body["content_type"] == "image/png"
    download = api.get(f"/api/v1/attachments/{body['id']}/download/")
    assert download.status_code == 200
    stored = b"".join(download.streaming_content)
    assert hashlib.sha256(stored).hexdigest() == body["sha256"] == Attachment.objects.get().sha256
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert content[:8] == stored[:8]


def test_a_spoofed_upload_is_415_and_stores_nothing(api, customer):
    ticket = TicketFactory(customer=customer)
    fake = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00 this is an exe", "application/pdf")
    response = api.post(
        f"/api/v1/tickets/{ticket.reference}/attachments/", {"file": fake}, format="multipart"
    )
    assert response.status_code == 415
    assert "file" in response.json()
    assert Attachment.objects.count() == 0


def test_an_oversize_upload_is_413(api, customer, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    ticket = TicketFactory(customer=customer)
    response = api.post(
        f"/api/v1/tickets/{ticket.reference}/attachments/",
        {"file": png_upload(size=(400, 400))},
        format="multipart",
    )
    assert response.status_code in (413, 415) and response.status_code == 413
    assert Attachment.objects.count() == 0


def test_an_upload_without_a_file_is_400(api, customer):
    ticket = TicketFactory(customer=customer)
    response = api.post(f"/api/v1/tickets/{ticket.reference}/attachments/", {}, format="multipart")
    assert response.status_code == 400


def test_staff_file_on_behalf_of_a_customer(customer):
    agent = client_for(AgentFactory())
    response = agent.post(
        "/api/v1/tickets/",
        {**WITHDRAWAL, "customer": customer.email, "channel": "phone"},
        format="json",
    )
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.customer == customer and ticket.channel == "phone"


def test_a_customer_cannot_file_on_behalf_of_another(api):
    other = CustomerFactory()
    response = api.post("/api/v1/tickets/", {**WITHDRAWAL, "customer": other.email}, format="json")
    assert response.status_code == 403


def test_schema_and_docs_are_served_offline(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/tickets/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower() and b"jsdelivr" not in docs.content.lower()


def test_breached_filter(api, customer):
    from django.utils import timezone

    missed = TicketFactory(customer=customer, last_breach_at=timezone.now())
    overdue = TicketFactory(
        customer=customer, escalation_due_at=timezone.now() - timezone.timedelta(minutes=1)
    )
    on_time = TicketFactory(
        customer=customer, escalation_due_at=timezone.now() + timezone.timedelta(hours=1)
    )
    breached = {t["reference"] for t in api.get("/api/v1/tickets/?breached=true").json()["results"]}
    fine = {t["reference"] for t in api.get("/api/v1/tickets/?breached=false").json()["results"]}
    assert breached == {missed.reference, overdue.reference}
    assert fine == {on_time.reference}


def test_amounts_are_exact_strings_in_the_assets_places(api):
    ticket = api.post("/api/v1/tickets/", WITHDRAWAL, format="json").json()
    assert ticket["fields"]["amount"] == "1520.35"
    too_precise = {**WITHDRAWAL, "fields": {**WITHDRAWAL["fields"], "amount": "1.1234567"}}
    refused = api.post("/api/v1/tickets/", too_precise, format="json")
    assert refused.status_code == 400
    assert "USDT has 6 decimal places" in str(refused.json())
