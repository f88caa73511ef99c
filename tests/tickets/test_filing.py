"""Filing a case through the service: rules, evidence, audit trail and the mail after commit."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import AgentFactory, CustomerFactory, category, pdf_upload, png_upload
from tickets import services
from tickets.exceptions import DuplicateTicket, NotAllowed
from tickets.models import Attachment, Channel, EventKind, Status, Ticket, TicketEvent, Tier

pytestmark = pytest.mark.django_db

TRON_TXID = "c4b5fb0e1cf1b0a5b8f2a1e0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"
TRON_ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"


def withdrawal_fields(**overrides):
    fields = {
        "occurred_at": "2026-11-18 10:18",
        "asset": "USDT",
        "network": "TRC20",
        "amount": "1520.35",
        "wallet_address": TRON_ADDRESS,
        "txid": TRON_TXID,
    }
    fields.update(overrides)
    return fields


def file(customer, code="withdrawal-not-received", fields=None, files=(), **kwargs):
    return services.ticket_file(
        customer=customer,
        filed_by=kwargs.pop("filed_by", customer),
        category=category(code),
        subject=kwargs.pop("subject", "Withdrawal never arrived"),
        description=kwargs.pop("description", "I withdrew USDT and it never arrived."),
        fields=withdrawal_fields() if fields is None else fields,
        files=files,
        **kwargs,
    )


@time_machine.travel("2026-11-20 12:00:00Z", tick=False)
def test_filing_creates_a_new_ticket_routed_to_the_category_team(
    django_capture_on_commit_callbacks,
):
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file(customer, files=[png_upload()])

    assert re.fullmatch(r"RD-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", ticket.reference)
    assert ticket.status == Status.NEW and ticket.tier == Tier.SUPPORT
    assert ticket.team.code == "funding"
    assert ticket.priority == "high"
    assert ticket.txid == TRON_TXID
    assert ticket.amount == Decimal("1520.35")
    # high priority: a first reply within 24 hours (the default policies)
    assert ticket.first_response_due_at == timezone.now() + timedelta(hours=24)
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == [EventKind.FILED, EventKind.EVIDENCE]
    (sent,) = mail.outbox
    assert ticket.reference in sent.subject
    assert sent.to == [customer.email]


def test_urgent_category_gets_a_faster_deadline():
    ticket = file(
        CustomerFactory(), code="compromised-account", fields={"occurred_at": "2026-11-01 10:00"}
    )
    assert ticket.priority == "urgent"
    assert ticket.first_response_due_at - ticket.created_at < timedelta(hours=5)


def test_no_mail_when_the_filing_rolls_back(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError),
    ):
        file(CustomerFactory(), fields=withdrawal_fields(amount="-5"))
    assert callbacks == [] and mail.outbox == []


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"amount": "0"}, "amount", "not_positive"),
        ({"amount": "lots"}, "amount", "invalid"),
        ({"txid": "0x1234"}, "txid", None),
        ({"wallet_address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"}, "wallet_address", None),
        ({"occurred_at": "2099-01-01 10:00"}, "occurred_at", "future"),
        ({"asset": "NOPE"}, "asset", "unknown"),
        ({"network": "ERC20", "asset": "TRX"}, "network", None),
        ({"wallet_address": ""}, "wallet_address", "required"),
    ],
)
def test_bad_fields_are_refused_field_by_field_and_nothing_is_stored(overrides, field, code):
    with pytest.raises(ValidationError) as refused:
        file(CustomerFactory(), fields=withdrawal_fields(**overrides), files=[png_upload()])
    errors = refused.value.error_dict
    assert field in errors
    if code:
        assert errors[field][0].code == code
    assert Ticket.objects.count() == 0 and Attachment.objects.count() == 0


def test_every_error_is_reported_at_once():
    with pytest.raises(ValidationError) as refused:
        file(CustomerFactory(), subject="", fields=withdrawal_fields(amount="0", txid="zz"))
    assert {"subject", "amount", "txid"} <= set(refused.value.error_dict)


def test_fields_the_category_does_not_ask_for_are_ignored():
    ticket = file(
        CustomerFactory(), code="kyc", fields={"txid": "not-even-a-hash", "device": "iPhone 15"}
    )
    assert ticket.txid == "" and ticket.device == "iPhone 15"


def test_a_seed_phrase_is_refused_and_nothing_of_it_is_stored(caplog):
    with pytest.raises(ValidationError) as refused:
        file(CustomerFactory(), description=f"My words are {SEED}, please help")
    assert refused.value.error_dict["description"][0].code == "secret"
    assert Ticket.objects.count() == 0
    assert "sausage" not in caplog.text


def test_a_transaction_hash_in_the_txid_field_is_not_a_secret():
    ticket = file(CustomerFactory(), description=f"The transaction hash is {TRON_TXID}.")
    assert ticket.txid == TRON_TXID


def test_a_refused_file_stores_nothing(settings):
    with pytest.raises(ValidationError) as refused:
        file(
            CustomerFactory(),
            files=[png_upload(), _fake_png()],
        )
    assert refused.value.error_dict["files"][0].code == "unsupported_type"
    assert Ticket.objects.count() == 0 and Attachment.objects.count() == 0
    assert not any(settings.EVIDENCE_ROOT.rglob("*.*")) if settings.EVIDENCE_ROOT.exists() else True


def _fake_png():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("evil.png", b"<html><script>alert(1)</script></html>", "image/png")


def test_evidence_is_stored_privately_under_a_generated_name_with_its_hash(settings):
    ticket = file(CustomerFactory(), files=[png_upload("../../etc/passwd.png"), pdf_upload()])
    png, pdf = (
        ticket.attachments.order_by("content_type")[1],
        ticket.attachments.order_by("content_type")[0],
    )
    assert pdf.content_type == "application/pdf" and png.content_type == "image/png"
    for attachment in (png, pdf):
        path = settings.EVIDENCE_ROOT / attachment.file.name
        assert path.is_file()
        assert attachment.file.name.endswith(
            attachment.id.hex + (".png" if attachment is png else ".pdf")
        )
        import hashlib

        assert hashlib.sha256(path.read_bytes()).hexdigest() == attachment.sha256
    assert png.original_name == "passwd.png"


def test_too_many_files_are_refused(settings):
    settings.EVIDENCE_MAX_FILES_PER_TICKET = 2
    with pytest.raises(ValidationError) as refused:
        file(CustomerFactory(), files=[png_upload(), png_upload(), png_upload()])
    assert refused.value.error_dict["files"][0].code == "too_many_files"


def test_a_second_open_case_about_the_same_txid_is_stopped_with_the_first():
    customer = CustomerFactory()
    first = file(customer)
    with pytest.raises(DuplicateTicket) as duplicate:
        file(customer, fields=withdrawal_fields(txid=TRON_TXID.upper()))
    assert duplicate.value.existing == [first]
    second = file(customer, allow_duplicate=True)
    assert second.pk != first.pk


def test_another_customer_with_the_same_txid_is_not_a_duplicate():
    file(CustomerFactory())
    assert file(CustomerFactory()).pk


def test_same_order_id_is_a_duplicate():
    customer = CustomerFactory()
    fields = {
        "order_id": "1734592210038",
        "trading_pair": "BTC/USDT",
        "occurred_at": "2026-11-20 03:12",
    }
    first = file(customer, code="spot-order", fields=fields)
    with pytest.raises(DuplicateTicket) as duplicate:
        file(customer, code="spot-order", fields=fields)
    assert duplicate.value.existing == [first]


def test_staff_file_on_a_customers_behalf_with_the_channel():
    agent, customer = AgentFactory(), CustomerFactory()
    ticket = file(customer, filed_by=agent, channel=Channel.PHONE)
    assert ticket.customer == customer and ticket.filed_by == agent
    assert ticket.channel == Channel.PHONE


def test_a_customer_cannot_file_for_someone_else():
    with pytest.raises(NotAllowed):
        file(CustomerFactory(), filed_by=CustomerFactory())


def test_an_amount_with_more_places_than_its_asset_has_is_refused():
    with pytest.raises(ValidationError) as refused:
        file(CustomerFactory(), fields=withdrawal_fields(amount="1520.3500001"))
    assert refused.value.error_dict["amount"][0].code == "places"
    ticket = file(CustomerFactory(), fields=withdrawal_fields(amount="1520.350000"))
    with pytest.raises(ValidationError) as refused:
        services.ticket_propose_resolution(
            ticket=ticket,
            actor=AgentFactory(),
            kind="compensation",
            summary="Refund",
            amount="0.000000001",
            asset="BTC",
        )
    assert "BTC has 8 decimal places" in refused.value.message_dict["amount"][0]
