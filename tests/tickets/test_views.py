"""Customer pages through Django's test client: what a person sees and what is kept."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import (
    AgentFactory,
    CustomerFactory,
    TicketFactory,
    login_verified,
    png_upload,
)
from tickets import services
from tickets.models import Message, Status, Ticket

pytestmark = pytest.mark.django_db

TRON_TXID = "c4b5fb0e1cf1b0a5b8f2a1e0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"


def filing(**overrides):
    data = {
        "category": "withdrawal-not-received",
        "subject": "USDT withdrawal never arrived",
        "description": "I withdrew 1520.35 USDT; nothing arrived.",
        "occurred_at": "2026-11-18T10:18",
        "asset": "USDT",
        "network": "TRC20",
        "amount": "1520.35",
        "wallet_address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        "txid": TRON_TXID,
    }
    data.update(overrides)
    return data


@pytest.fixture
def customer(client):
    user = CustomerFactory()
    client.force_login(user)
    return user


def test_pages_need_a_login(client):
    response = client.get(reverse("tickets:file"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_filing_page_shows_the_chosen_categorys_fields(client, customer):
    response = client.get(reverse("tickets:file") + "?category=deposit-not-credited")
    html = response.content.decode()
    assert 'name="txid"' in html and 'name="trading_pair"' not in html
    fragment = client.get(
        reverse("tickets:category_fields"),
        {"category": "spot-order", "order_id": "123"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'name="trading_pair"' in fragment and 'value="123"' in fragment
    assert "<html" not in fragment


def test_filing_redirects_to_the_case_with_its_reference_and_due_time(client, customer):
    response = client.post(
        reverse("tickets:file"), {**filing(), "files": [png_upload()]}, follow=True
    )
    ticket = Ticket.objects.get()
    assert response.redirect_chain[-1][0] == reverse("tickets:detail", args=[ticket.reference])
    html = response.content.decode()
    assert ticket.reference in html
    assert "We will reply by" in html
    assert ticket.attachments.get().sha256 in html


def test_htmx_filing_answers_with_a_client_redirect(client, customer):
    response = client.post(reverse("tickets:file"), filing(), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse(
        "tickets:detail", args=[Ticket.objects.get().reference]
    )


def test_a_failed_filing_keeps_everything_typed_and_says_what_is_wrong(client, customer):
    response = client.post(reverse("tickets:file"), filing(amount="-1", txid="0xabc"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "The amount must be greater than zero." in html
    assert 'value="USDT withdrawal never arrived"' in html
    assert "I withdrew 1520.35 USDT; nothing arrived." in html
    assert 'value="0xabc"' in html and 'value="-1"' in html
    assert Ticket.objects.count() == 0


def test_an_htmx_failure_swaps_only_the_form_body_so_chosen_files_stay(client, customer):
    response = client.post(reverse("tickets:file"), filing(amount="0"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="filing-body">')
    assert 'type="file"' not in html  # the file input lives outside the swapped part


def test_a_secret_is_explained_and_not_stored(client, customer):
    seed = "legal winner thank year wave sausage worth useful legal winner thank yellow"
    response = client.post(reverse("tickets:file"), filing(description=f"1. {seed}"))
    assert response.status_code == 400
    assert "recovery phrase" in response.content.decode().lower()
    assert response["Cache-Control"].startswith("max-age=0")
    assert Ticket.objects.count() == 0


def test_a_refused_file_is_named_and_nothing_is_stored(client, customer):
    fake = SimpleUploadedFile("photo.png", b"<!doctype html><h1>hi</h1>", "image/png")
    response = client.post(reverse("tickets:file"), {**filing(), "files": [fake]})
    assert response.status_code == 400
    assert "photo.png" in response.content.decode()
    assert Ticket.objects.count() == 0


def test_a_duplicate_offers_the_open_case_and_adding_to_it(client, customer):
    client.post(reverse("tickets:file"), filing())
    first = Ticket.objects.get()
    response = client.post(reverse("tickets:file"), filing(description="More details"))
    html = response.content.decode()
    assert first.reference in html and 'name="add_to"' in html and 'name="file_anyway"' in html
    client.post(
        reverse("tickets:file"), {**filing(description="More details"), "add_to": first.reference}
    )
    assert Ticket.objects.count() == 1
    assert "More details" in first.messages.get().body
    client.post(reverse("tickets:file"), {**filing(), "file_anyway": "1"})
    assert Ticket.objects.count() == 2


def test_my_tickets_lists_only_mine_newest_first(client, customer):
    older, newer = TicketFactory(customer=customer), TicketFactory(customer=customer)
    theirs = TicketFactory()
    html = client.get(reverse("tickets:my_tickets")).content.decode()
    assert html.index(newer.reference) < html.index(older.reference)
    assert theirs.reference not in html


def test_my_tickets_pages_by_keyset(client, customer):
    tickets = [TicketFactory(customer=customer) for _ in range(22)]
    first = client.get(reverse("tickets:my_tickets")).content.decode()
    assert tickets[-1].reference in first and tickets[0].reference not in first
    second = client.get(reverse("tickets:my_tickets") + f"?before={tickets[2].id}").content.decode()
    assert tickets[0].reference in second and tickets[-1].reference not in second


def test_another_customers_case_and_evidence_are_404(client, customer):
    other = TicketFactory()
    (attachment,) = services.ticket_add_evidence(
        ticket=other, actor=other.customer, files=[png_upload()]
    )
    assert client.get(reverse("tickets:detail", args=[other.reference])).status_code == 404
    assert (
        client.post(reverse("tickets:reply", args=[other.reference]), {"body": "x"}).status_code
        == 404
    )
    assert client.get(reverse("attachment_download", args=[attachment.id])).status_code == 404


def test_reply_with_evidence_and_answering_a_request_reopens_the_case(client, customer):
    ticket = TicketFactory(customer=customer, status=Status.OPEN)
    services.ticket_request_info(ticket=ticket, actor=AgentFactory(), body="Send the order page.")
    response = client.post(
        reverse("tickets:reply", args=[ticket.reference]),
        {"body": "Here it is.", "files": [png_upload("order.png")]},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    reply = Message.objects.get(body="Here it is.")
    assert reply.attachments.get().original_name == "order.png"


def test_a_failed_reply_keeps_the_text(client, customer):
    ticket = TicketFactory(customer=customer)
    fake = SimpleUploadedFile("x.pdf", b"not a pdf at all", "application/pdf")
    response = client.post(
        reverse("tickets:reply", args=[ticket.reference]),
        {"body": "My long answer", "files": [fake]},
    )
    assert response.status_code == 400
    assert "My long answer" in response.content.decode()
    assert not ticket.messages.exists()


def test_internal_notes_never_show_on_the_customer_page(client, customer):
    ticket = TicketFactory(customer=customer)
    services.ticket_add_message(
        ticket=ticket, author=AgentFactory(), body="Suspected mule account", internal=True
    )
    html = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert "Suspected mule account" not in html
    assert "Internal note" not in html


def test_a_closed_case_has_no_reply_form_and_refuses_a_reply_with_409(client, customer):
    ticket = TicketFactory(customer=customer, status=Status.CLOSED)
    html = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert 'id="reply-form"' not in html
    response = client.post(reverse("tickets:reply", args=[ticket.reference]), {"body": "hello"})
    assert response.status_code == 409
    assert "closed" in response.content.decode()


def test_download_is_an_attachment_with_nosniff(client, customer):
    ticket = TicketFactory(customer=customer)
    (attachment,) = services.ticket_add_evidence(
        ticket=ticket, actor=customer, files=[png_upload()]
    )
    response = client.get(reverse("attachment_download", args=[attachment.id]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/png"


def test_every_customer_page_carries_the_anti_phishing_notice(client, customer, settings):
    ticket = TicketFactory(customer=customer)
    for url in (
        reverse("tickets:my_tickets"),
        reverse("tickets:file"),
        reverse("tickets:detail", args=[ticket.reference]),
        reverse("accounts:profile"),
    ):
        html = client.get(url).content.decode()
        assert "never ask for your password" in html, url
        assert settings.OFFICIAL_DOMAIN in html


def test_pages_speak_chinese_when_the_browser_asks(client, customer):
    html = client.get(
        reverse("tickets:file"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9"
    ).content.decode()
    assert 'lang="zh-hans"' in html
    assert "提交投诉" in html


def test_an_oversized_request_is_refused_before_it_is_read(client, customer, settings):
    response = client.post(
        reverse("tickets:file"),
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(10 * 1024**3),
    )
    assert response.status_code == 413
    assert Ticket.objects.count() == 0


def test_the_customers_view_shows_staff_exactly_what_the_customer_sees(client):
    ticket = TicketFactory()
    agent = AgentFactory()
    services.ticket_add_message(ticket=ticket, author=agent, body="Suspected mule", internal=True)
    services.ticket_add_message(ticket=ticket, author=agent, body="We are on it.")
    login_verified(client, agent)
    page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert "We are on it." in page
    assert "Suspected mule" not in page and "Internal note" not in page
    assert 'id="customer-view-note"' in page and "<fieldset disabled" in page
    client.force_login(ticket.customer)
    own = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert 'id="customer-view-note"' not in own and "<fieldset disabled" not in own


def test_evidence_alone_is_a_reply_the_page_calls_added_evidence(client, customer):
    ticket = TicketFactory(customer=customer)
    response = client.post(
        reverse("tickets:reply", args=[ticket.reference]),
        {"body": "", "files": [png_upload("receipt.png")]},
    )
    assert response.status_code == 302
    message = Message.objects.get(ticket=ticket)
    assert message.body == "" and message.attachments.get().original_name == "receipt.png"
    page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert "Added evidence" in page and "receipt.png" in page
    refused = client.post(reverse("tickets:reply", args=[ticket.reference]), {"body": " "})
    assert (
        refused.status_code == 400 and "Write a message or add a file." in refused.content.decode()
    )
