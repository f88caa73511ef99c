"""Reading mail: reply addresses, quoted history in English and Chinese, machines' mail."""

from email.message import EmailMessage

import pytest

from mail import addresses, parsing
from tests.mail.helpers import compose


def read(raw: bytes) -> EmailMessage:
    return parsing.parse(raw)


def test_a_reply_address_names_its_case_and_carries_our_signature():
    address = addresses.reply_address("RD-ABCD-EFGH")
    assert address.startswith("support+RD-ABCD-EFGH.") and address.endswith("@redress.local")
    assert addresses.reference_from(address) == "RD-ABCD-EFGH"
    # Mail systems may change the case of the local part: the address still works.
    assert addresses.reference_from(address.lower()) == "RD-ABCD-EFGH"


def test_a_forged_or_moved_token_names_no_case():
    token = addresses.token("RD-ABCD-EFGH")
    assert (
        addresses.reference_from(f"support+RD-ABCD-EFGH.{'0' * len(token)}@redress.local") is None
    )
    # The token of one case does not open another.
    assert addresses.reference_from(f"support+RD-WXYZ-2345.{token}@redress.local") is None
    assert addresses.reference_from(f"support+RD-ABCD-EFGH.{token}@elsewhere.example") is None
    assert addresses.reference_from("support@redress.local") is None


def test_our_addresses_are_the_support_box_and_its_plus_addresses():
    assert addresses.is_ours("support@redress.local")
    assert addresses.is_ours("Support+RD-ABCD-EFGH.123@Redress.Local")
    assert not addresses.is_ours("supporter@redress.local")
    assert not addresses.is_ours("support@example.com")


GMAIL_EN = """Here is the transaction hash you asked for.

On Fri, Mar 6, 2026 at 10:18 AM Redress <support+RD-ABCD-EFGH.abc@redress.local> wrote:
> Hello Alice,
>
> Our support team replied on your case RD-ABCD-EFGH:
> Please send the transaction hash.
"""

OUTLOOK_EN = """Here is the transaction hash you asked for.

Best regards,
Alice Example
Head of Treasury, Example Ltd.

________________________________
From: Redress <support+RD-ABCD-EFGH.abc@redress.local>
Sent: Friday, March 6, 2026 10:18 AM
To: alice@example.com
Subject: New reply on your case RD-ABCD-EFGH

Hello Alice,
Please send the transaction hash.
"""

GMAIL_ZH = """好的，交易哈希已附上，请查收。

在 2026年3月6日周五 10:18，Redress <support+RD-ABCD-EFGH.abc@redress.local> 写道：
> 您好，
> 请提供交易哈希。
"""

OUTLOOK_ZH = """好的，交易哈希已附上，请查收。

发件人： Redress <support+RD-ABCD-EFGH.abc@redress.local>
发送时间： 2026年3月6日 10:18
收件人： alice@example.com
主题： 您的案件 RD-ABCD-EFGH 有新回复

您好，请提供交易哈希。
"""

FOXMAIL_ZH = """好的，交易哈希已附上，请查收。

------------------ 原始邮件 ------------------
发件人: "Redress"<support@redress.local>;
发送时间: 2026年3月6日(星期五) 上午10:18
收件人: "alice"<alice@example.com>;
主题: 您的案件有新回复

您好，请提供交易哈希。
"""

APPLE_ZH = """好的，交易哈希已附上，请查收。

> 2026年3月6日 10:18，Redress <support@redress.local> 写道：
>
> 您好，请提供交易哈希。
"""


@pytest.mark.parametrize(
    ("body", "reply"),
    [
        (GMAIL_EN, "Here is the transaction hash you asked for."),
        (OUTLOOK_EN, "Here is the transaction hash you asked for."),
        (GMAIL_ZH, "好的，交易哈希已附上，请查收。"),
        (OUTLOOK_ZH, "好的，交易哈希已附上，请查收。"),
        (FOXMAIL_ZH, "好的，交易哈希已附上，请查收。"),
        (APPLE_ZH, "好的，交易哈希已附上，请查收。"),
    ],
    ids=["gmail-en", "outlook-en", "gmail-zh", "outlook-zh", "foxmail-zh", "apple-mail-zh"],
)
def test_the_reply_is_cut_from_the_quoted_history_and_signature(body, reply):
    assert parsing.reply_text(read(compose(body=body))) == reply


def test_everything_below_our_reply_marker_is_cut_in_either_language():
    for marker in ("##- Please type your reply above this line -##", "##- 请在此行以上回复 -##"):
        body = f"Done, see the file.\n\n{marker}\n\nHello Alice, Our support team replied"
        assert parsing.reply_text(read(compose(body=body))) == "Done, see the file."


def test_an_html_only_reply_is_read_as_text_without_its_quote():
    html = (
        "<div dir='ltr'>I sent it at <b>10:18</b> &amp; it never came.</div><br>"
        "<div class='gmail_quote'><div>On Fri, Mar 6, 2026 at 10:18 AM Redress wrote:</div>"
        "<blockquote class='gmail_quote'>Hello, please send the hash.</blockquote></div>"
    )
    message = EmailMessage()
    message["From"] = "alice@example.com"
    message.set_content(html, subtype="html")
    assert parsing.reply_text(message) == "I sent it at 10:18 & it never came."


def test_threading_headers_give_the_ids_a_message_answers():
    raw = compose(
        headers={
            "In-Reply-To": "<n1@redress.local>",
            "References": "<case.rd-abcd-efgh@redress.local> <n0@redress.local> <n1@redress.local>",
        }
    )
    assert parsing.referenced_ids(read(raw)) == [
        "<n1@redress.local>",
        "<case.rd-abcd-efgh@redress.local>",
        "<n0@redress.local>",
    ]


def test_a_reference_in_the_subject_is_found_in_any_case():
    assert parsing.reference_in_subject("Re: about rd-abcd-efgh please") == "RD-ABCD-EFGH"
    assert parsing.reference_in_subject("RD-ABCD-EFG1 is not one") is None


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"X-Auto-Response-Suppress": "All"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
        {"X-Redress-Notification": "reply"},
    ],
    ids=lambda headers: next(iter(headers.items()))[0] + "=" + next(iter(headers.values())),
)
def test_machines_mail_is_recognised(headers):
    assert parsing.automatic(read(compose(headers=headers)), "customer@example.com")


def test_a_persons_mail_is_not_automatic():
    raw = compose(headers={"Auto-Submitted": "no"})
    assert parsing.automatic(read(raw), "customer@example.com") is None


def test_bounces_are_recognised_and_name_the_address_that_failed():
    report = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n"
        b"To: support@redress.local\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; gone@example.com\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        b"--B--\r\n"
    )
    message = read(report)
    assert parsing.automatic(message, "") == parsing.BOUNCE  # the DSN alone says so
    assert parsing.is_bounce(read(compose()), "<>")  # and so does the null sender
    assert parsing.bounced_addresses(message) == [
        ("gone@example.com", "smtp; 550 5.1.1 user unknown")
    ]


def test_attachments_become_uploads_with_their_names():
    raw = compose(attachments=[("statement.pdf", b"%PDF-1.4 x", "application/pdf")])
    (upload,) = parsing.attachments(read(raw))
    assert upload.name == "statement.pdf" and upload.read() == b"%PDF-1.4 x"
