"""A new customer, in a real browser: sign up, file with evidence, see the case, reply."""

import io
import re

import pytest
from django.core import mail
from PIL import Image

from tickets.models import Attachment, Message, Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TRON_TXID = "c4b5fb0e1cf1b0a5b8f2a1e0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"

TEXT = {
    "en-US": {
        "create": "Create account",
        "file": "File the complaint",
        "send": "Send",
        "filed": "is filed",
        "fix": "Please check what is marked below.",
        "amount_error": "The amount must be greater than zero.",
        "sent": "Your message is sent.",
    },
    "zh-CN": {
        "create": "创建账户",
        "file": "提交投诉",
        "send": "发送",
        "filed": "已提交",
        "fix": "请检查下面标出的内容。",
        "amount_error": "金额必须大于零。",
        "sent": "您的消息已发送。",
    },
}


def screenshot_file(tmp_path):
    path = tmp_path / "withdrawal.png"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), "white").save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_sign_up_file_with_evidence_see_the_case_and_reply(page_for, tmp_path, locale):
    text = TEXT[locale]
    email = f"new-{locale.lower()}@example.com"
    page = page_for(locale)

    page.goto("/accounts/sign-up/")
    page.fill("#id_email", email)
    page.fill("#id_full_name", "Lin Wei")
    page.fill("#id_exchange_uid", "38211907")
    page.fill("#id_password", "a-long-and-unusual-passphrase")
    page.get_by_role("button", name=text["create"]).click()
    page.wait_for_selector("#sign-up-sent")
    # The address is confirmed by the mailed link, then the customer signs in and files.
    link = re.search(r"https?://[^/\s]+(/accounts/confirm/[\w-]+/)", mail.outbox[-1].body)[1]
    page.goto(link)
    page.locator("main a.btn").click()
    page.fill("#id_username", email)
    page.fill("#id_password", "a-long-and-unusual-passphrase")
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/tickets/new/")

    page.select_option("#id_category", "withdrawal-not-received")
    page.wait_for_selector("#id_txid")  # the category's fields arrive by htmx
    page.fill("#id_subject", "USDT withdrawal never arrived")
    page.fill("#id_description", "I withdrew 1520.35 USDT on TRC20; my wallet got nothing.")
    page.fill("#id_occurred_at", "2026-11-18T10:18")
    page.select_option("#id_asset", "USDT")
    page.select_option("#id_network", "TRC20")
    page.fill("#id_amount", "0")  # a mistake the customer makes first
    page.fill("#id_wallet_address", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    page.fill("#id_txid", TRON_TXID)
    page.set_input_files("input[name=files]", screenshot_file(tmp_path))
    page.get_by_role("button", name=text["file"]).click()

    # The error names the field, and nothing typed or chosen is lost.
    page.wait_for_selector("#form-errors")
    assert text["fix"] in page.inner_text("#form-errors")
    assert text["amount_error"] in page.inner_text("#evidence-fields")
    assert page.input_value("#id_subject") == "USDT withdrawal never arrived"
    assert page.input_value("#id_txid") == TRON_TXID
    assert page.eval_on_selector("input[name=files]", "input => input.files.length") == 1
    assert Ticket.objects.count() == 0

    page.fill("#id_amount", "1520.35")
    page.get_by_role("button", name=text["file"]).click()
    page.wait_for_url(re.compile(r".*/tickets/RD-[A-Z0-9-]+/$"))

    ticket = Ticket.objects.get(customer__email=email)
    assert text["filed"] in page.inner_text(".messages")
    assert page.inner_text("#ticket-reference") == ticket.reference
    assert page.locator("#first-response-due").count() == 1
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.sha256 in page.inner_text("#evidence-list")
    assert TRON_TXID in page.inner_text("#ticket-fields")

    page.fill("#id_body", "The wallet is my own Trust Wallet.")
    page.get_by_role("button", name=text["send"], exact=True).click()
    page.wait_for_selector(".alert-success >> text=" + text["sent"])
    assert "The wallet is my own Trust Wallet." in page.inner_text("#conversation")
    assert Message.objects.filter(ticket=ticket, author__email=email).count() == 1
