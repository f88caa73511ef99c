"""Evidence hashes a customer can check: the bytes as received, beside the stored copy.

Before issue 16 every image was re-encoded on upload (to strip its location) and only the
stored copy's SHA-256 was kept and shown: a customer hashing their own screenshot never
found their hash anywhere.
"""

import hashlib
import io
import json
import shutil
import subprocess
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from escalation import case_file
from tests.factories import AgentFactory, CustomerFactory, category, login_verified
from tickets import services

pytestmark = pytest.mark.django_db


def photo_bytes() -> bytes:
    """A JPEG with a GPS position in its EXIF, as a phone writes it."""
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 22.0, 5.0), 3: "E", 4: (4.0, 53.0, 7.0)})
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "navy").save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def sha256sum(path) -> str:
    """What the customer runs on their own copy of the file."""
    if shutil.which("sha256sum") is None:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    return subprocess.run(
        ["sha256sum", str(path)], check=True, capture_output=True, text=True
    ).stdout.split()[0]


@pytest.fixture
def uploaded(tmp_path):
    """The customer's own file on their disk, and the case they sent it to through the API."""
    mine = tmp_path / "withdrawal-screenshot.jpg"
    mine.write_bytes(photo_bytes())
    customer = CustomerFactory()
    ticket = services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("other"),
        subject="Withdrawal",
        description="It never arrived.",
        fields={},
    )
    api = APIClient()
    api.force_authenticate(customer)
    upload = SimpleUploadedFile(mine.name, mine.read_bytes(), content_type="image/jpeg")
    response = api.post(
        f"/api/v1/tickets/{ticket.reference}/attachments/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 201
    return ticket, mine, response.json()


def test_the_received_hash_is_what_sha256sum_prints_for_the_customers_file(uploaded):
    ticket, mine, answer = uploaded
    attachment = ticket.attachments.get()
    assert answer["received_sha256"] == sha256sum(mine) == attachment.received_sha256
    assert answer["received_sha256"] == hashlib.sha256(mine.read_bytes()).hexdigest()
    # The stored copy lost its location data, so it hashes differently, and says so.
    stored = attachment.file.open("rb").read()
    assert answer["sha256"] == hashlib.sha256(stored).hexdigest() != answer["received_sha256"]
    assert attachment.received_size == mine.stat().st_size
    event = ticket.events.get(kind="evidence")
    assert event.data["received_sha256"] == answer["received_sha256"]


def test_both_hashes_are_shown_with_what_they_mean(client, uploaded):
    ticket, _mine, answer = uploaded
    client.force_login(ticket.customer)
    page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert answer["received_sha256"] in page and answer["sha256"] in page
    assert 'id="hash-explanation"' in page and "sha256sum" in page
    login_verified(client, AgentFactory())
    page = client.get(reverse("staff:ticket", args=[ticket.reference])).content.decode()
    assert answer["received_sha256"] in page and answer["sha256"] in page
    assert 'id="hash-explanation"' in page
    detail = APIClient()
    detail.force_authenticate(ticket.customer)
    (listed,) = detail.get(f"/api/v1/tickets/{ticket.reference}/").json()["attachments"]
    assert listed["received_sha256"] == answer["received_sha256"]


def test_the_case_file_and_its_manifest_list_both(client, uploaded, tmp_path):
    ticket, mine, answer = uploaded
    client.force_login(ticket.customer)
    response = client.get(reverse("escalation:case_file", args=[ticket.reference]))
    data = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(data))
    (item,) = json.loads(archive.read("case.json"))["evidence"]
    assert item["received_sha256"] == sha256sum(mine) and item["sha256"] == answer["sha256"]
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["evidence"][item["file"]] == {
        "stored_sha256": answer["sha256"],
        "received_sha256": answer["received_sha256"],
    }
    assert manifest["files"][item["file"]] == answer["sha256"]  # the copy in the ZIP
    assert answer["received_sha256"] in archive.read("conversation.html").decode()
    path = tmp_path / "case.zip"
    path.write_bytes(data)
    assert case_file.verify(path).ok


def test_verify_notices_a_received_hash_changed_in_the_manifest(uploaded, tmp_path):
    ticket, _mine, _answer = uploaded
    good = tmp_path / "good.zip"
    with good.open("wb") as target:
        shutil.copyfileobj(case_file.build(ticket, ticket.customer), target)
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(good) as old, zipfile.ZipFile(bad, "w") as new:
        for info in old.infolist():
            content = old.read(info.filename)
            if info.filename == "manifest.json":
                manifest = json.loads(content)
                for entry in manifest["evidence"].values():
                    entry["received_sha256"] = "0" * 64
                content = json.dumps(manifest).encode()
            new.writestr(info.filename, content)
    result = case_file.verify(bad)
    assert not result.ok and any("disagree" in problem for problem in result.problems)
