"""The case file ZIP: complete, scoped to what the reader may see, and verifiable."""

import hashlib
import io
import json
import shutil
import zipfile

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from escalation import case_file
from tests.factories import AgentFactory, CustomerFactory, category, png_upload, set_price
from tickets import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():
    customer = CustomerFactory()
    ticket = services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("kyc"),
        subject="KYC refused",
        description="Refused without a reason.",
        fields={"device": "iPhone 15"},
        files=[png_upload("passport.png")],
    )
    agent = AgentFactory()
    services.ticket_add_message(ticket=ticket, author=agent, body="We are checking.")
    services.ticket_add_message(
        ticket=ticket, author=agent, body="Looks like fraud ring 7", internal=True
    )
    services.ticket_propose_resolution(
        ticket=ticket, actor=agent, kind="explanation", summary="Blurred photo."
    )
    return ticket


def download(user, ticket) -> zipfile.ZipFile:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/v1/tickets/{ticket.reference}/case-file/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_customers_case_file_holds_everything_they_may_see(ticket):
    archive = download(ticket.customer, ticket)
    names = set(archive.namelist())
    assert {
        "case.json",
        "conversation.html",
        "timeline.html",
        "timeline.json",
        "manifest.json",
        "manifest.sig",
    } <= names
    assert "evidence/01-passport.png" in names
    case = json.loads(archive.read("case.json"))
    assert case["reference"] == ticket.reference and case["fields"]["device"] == "iPhone 15"
    assert case["proposals"][0]["summary"] == "Blurred photo."
    assert case["evidence"][0]["sha256"] == ticket.attachments.get().sha256
    conversation = archive.read("conversation.html").decode()
    assert "We are checking." in conversation
    everything = b"".join(archive.read(name) for name in names).decode("utf-8", "ignore")
    assert "fraud ring" not in everything  # internal notes never leave for the customer
    manifest = json.loads(archive.read("manifest.json"))
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest


def test_staff_case_file_includes_internal_notes(ticket):
    archive = download(AgentFactory(), ticket)
    assert "fraud ring" in archive.read("conversation.html").decode()


def test_another_customer_cannot_download_it(ticket):
    client = APIClient()
    client.force_authenticate(CustomerFactory())
    assert client.get(f"/api/v1/tickets/{ticket.reference}/case-file/").status_code == 404


def test_the_web_download_for_the_customer(client, ticket):
    client.force_login(ticket.customer)
    response = client.get(f"/tickets/{ticket.reference}/case-file/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"


def write(ticket, user, path):
    with path.open("wb") as target:
        shutil.copyfileobj(case_file.build(ticket, user), target)
    return path


def test_verify_accepts_an_intact_file(ticket, tmp_path, capsys):
    path = write(ticket, ticket.customer, tmp_path / "case.zip")
    call_command("verify_case_file", str(path))
    out = capsys.readouterr().out
    assert "intact" in out and "signature valid" in out


def rewrite(source, target, change):
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = change(item.filename, old.read(item.filename))
            if data is not None:
                new.writestr(item.filename, data)


@pytest.mark.parametrize(
    "change",
    [
        lambda name, data: data + b"x" if name.startswith("evidence/") else data,
        lambda name, data: data.replace(b"Blurred", b"Sharp") if name == "case.json" else data,
        lambda name, data: None if name == "timeline.json" else data,
    ],
    ids=["evidence-edited", "case-edited", "file-removed"],
)
def test_verify_refuses_a_tampered_file(ticket, tmp_path, change):
    good = write(ticket, ticket.customer, tmp_path / "case.zip")
    bad = tmp_path / "tampered.zip"
    rewrite(good, bad, change)
    assert not case_file.verify(bad).ok
    with pytest.raises(CommandError, match="NOT intact"):
        call_command("verify_case_file", str(bad))


def test_verify_refuses_a_rewritten_manifest_by_its_signature(ticket, tmp_path):
    good = write(ticket, ticket.customer, tmp_path / "case.zip")
    with zipfile.ZipFile(good) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    forged_case = b'{"reference": "forged"}'
    manifest["files"]["case.json"] = hashlib.sha256(forged_case).hexdigest()
    bad = tmp_path / "forged.zip"
    rewrite(
        good,
        bad,
        lambda name, data: (
            forged_case
            if name == "case.json"
            else json.dumps(manifest).encode()
            if name == "manifest.json"
            else data
        ),
    )
    result = case_file.verify(bad)
    assert result.signed is False and not result.ok


def test_amounts_in_case_json_are_exact_strings_in_the_assets_places():
    set_price("USDT", "1")  # worth 250 USD: the customer sees the proposal at once
    customer = CustomerFactory()
    ticket = services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("other"),
        subject="Fee charged twice",
        description="The trading fee was taken twice.",
        fields={"asset": "USDT", "amount": "1520.35"},
    )
    services.ticket_propose_resolution(
        ticket=ticket,
        actor=AgentFactory(),
        kind="compensation",
        summary="We refund the fee.",
        amount="250",
        asset="USDT",
    )
    archive = download(customer, ticket)
    case = json.loads(archive.read("case.json"))
    assert case["fields"]["amount"] == "1520.35"
    assert case["proposals"][0]["amount"] == "250"
    timeline = json.loads(archive.read("timeline.json"))
    proposed = next(e for e in timeline if e["kind"] == "resolution")
    assert proposed["data"]["amount"] == "250"
    assert "250 USDT" in archive.read("conversation.html").decode()
