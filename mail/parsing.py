"""Reading a raw message: who sent it, what it answers, its reply text and its files.

Pure functions of the message, so every source (the SMTP listener, IMAP, a provider's
webhook) is read the same way by mail/inbound.py.
"""

from __future__ import annotations

import html
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

import nh3
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext_noop
from mailparser_reply import EmailMessage as ParsedReply
from mailparser_reply.constants import MAIL_LANGUAGES, QUOTED_MATCH_INCLUDE

from mail import addresses
from mail.compose import reply_marker

REFERENCE = re.compile(
    rf"\b{re.escape(settings.TICKET_REFERENCE_PREFIX)}-[2-9A-HJKMNP-Z]{{4}}-[2-9A-HJKMNP-Z]{{4}}\b",
    re.IGNORECASE,
)


def parse(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name, "")
    except (ValueError, IndexError, TypeError):
        # A header too broken for the modern parser: the raw value is still worth reading.
        value = message.get_all(name, failobj=[""])[0] if hasattr(message, "get_all") else ""
    return str(value or "").strip()


def sender(message: EmailMessage) -> str:
    return parseaddr(_header(message, "From"))[1].strip().lower()


def message_id(message: EmailMessage) -> str:
    return _header(message, "Message-ID")[:250]


def subject(message: EmailMessage) -> str:
    return " ".join(_header(message, "Subject").split())[:300]


def recipients(message: EmailMessage, envelope_to: list[str] = ()) -> list[str]:
    """Every address the message was for: the envelope's first, then the headers'."""
    headers = ("Delivered-To", "X-Original-To", "To", "Cc")
    found = list(envelope_to)
    for name in headers:
        found += [address for _, address in getaddresses(message.get_all(name, []))]
    return [address.strip().lower() for address in found if address]


def referenced_ids(message: EmailMessage) -> list[str]:
    """The Message-IDs this message answers (In-Reply-To first, then References)."""
    ids = re.findall(
        r"<[^<>\s]+>", f"{_header(message, 'In-Reply-To')} {_header(message, 'References')}"
    )
    return list(dict.fromkeys(ids))


def reference_in_subject(text: str) -> str | None:
    match = REFERENCE.search(text or "")
    return match[0].upper() if match else None


# --- machines talking to machines ---------------------------------------------------------

_AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")
# Why a message is not a person's, as staff read it (English, translated when shown).
OWN = gettext_noop("Our own mail came back.")
BOUNCE = gettext_noop("A bounce (the mail could not be delivered).")
AUTO_REPLY = gettext_noop("An automatic reply (out of office and the like).")


def automatic(message: EmailMessage, envelope_from: str | None) -> str | None:
    """Why this message must not become a case message (no loops), or None for a person's.

    Bounces (a null sender, a delivery-status report, the mailer daemon), auto-replies
    (RFC 3834's Auto-Submitted and the headers Exchange, Gmail and vacation programs set)
    and our own notifications coming back.
    """
    if _header(message, "X-Redress-Notification"):
        return OWN
    if is_bounce(message, envelope_from):
        return BOUNCE
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return AUTO_REPLY
    if any(_header(message, name) for name in _AUTO_REPLY_HEADERS):
        return AUTO_REPLY
    if _header(message, "Precedence").lower() in _AUTOMATIC_PRECEDENCE:
        return AUTO_REPLY
    if addresses.is_ours(sender(message)):
        return OWN
    return None


def is_bounce(message: EmailMessage, envelope_from: str | None) -> bool:
    if envelope_from is not None and envelope_from.strip() == "<>":
        return True
    if message.get_content_type() == "multipart/report":
        return True
    local = sender(message).partition("@")[0]
    return local in ("mailer-daemon", "postmaster")


def bounced_addresses(message: EmailMessage) -> list[tuple[str, str]]:
    """From a delivery-status report (RFC 3464): the recipients that failed, and why."""
    failed = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        # Each block of the report is a header block: per-message first, then per-recipient.
        for block in part.get_payload() if part.is_multipart() else []:
            action = str(block.get("Action", "")).strip().lower()
            recipient = str(block.get("Final-Recipient", "") or block.get("Original-Recipient", ""))
            address = recipient.rpartition(";")[2].strip().lower()
            if action == "failed" and "@" in address:
                reason = str(block.get("Diagnostic-Code", "") or block.get("Status", ""))
                failed.append((address, " ".join(reason.split())[:300]))
    return failed


# --- the text ---------------------------------------------------------------------------


def full_text(message: EmailMessage) -> str:
    """The whole text the sender wrote (plain text, or the HTML's text), quotes and all."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):
        content = part.get_payload(decode=True).decode("utf-8", errors="replace")
    if part.get_content_type() == "text/html":
        content = _html_text(content)
    return content.replace("\r\n", "\n")


def _html_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</(p|div|tr|li|h\d|blockquote)>", "\n", markup)
    markup = re.sub(r"(?is)<blockquote\b.*?</blockquote>", "\n", markup)
    return html.unescape(nh3.clean(markup, tags=set()))


# Patterns for Chinese mail clients the parser's own "zh" entry misses (its Gmail pattern
# can never match, and it wants an ASCII colon after 发件人): Gmail's "在 2026年3月6日周五
# 10:18，X <x@y> 写道：", Outlook's header block with full-width colons, Foxmail and QQ
# Mail's "原始邮件" separator, and Apple Mail's "于 … 写道：".
_CHINESE = {
    "wrote_header": r"^("
    + QUOTED_MATCH_INCLUDE
    + r"(?:在|于)?\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日.{0,120}?写道\s*[:：]\s*)$",
    "from_header": r"((?:(?:^|\n)"
    + QUOTED_MATCH_INCLUDE
    + r"[* ]*(?:发件人|发送时间|时间|收件人|主题|抄送|日期)\s*[:：].*){2,})",
    "separator": r"^("
    + QUOTED_MATCH_INCLUDE
    + r"-{2,}\s*(?:原始邮件|原始郵件|回复的原邮件)\s*-{2,}\s*)$",
    "signatures": ["此致", "敬礼", "谢谢，", "祝好", "顺祝商祺"],
    "sent_from": r"(?:从我的|发自我的).{1,30}(?:发送)?",
}


class _Reply(ParsedReply):
    """mail-parser-reply with working Chinese patterns (its "zh" entry is marked untested)."""

    def _get_language_regex(self, language: str, regex_key: str) -> str:
        if language == "zh":
            value = _CHINESE.get(regex_key, "")
            if regex_key == "wrote_header":
                value = "|".join([value, _CHINESE["separator"]])
            return "|".join(value) if isinstance(value, list) else value
        return super()._get_language_regex(language, regex_key)


_LANGUAGES = [code for code in ("en", "zh", "de", "fr", "es", "ja") if code in MAIL_LANGUAGES]


def _markers() -> list[str]:
    """Our "reply above this line" line in every language we send it in."""
    found = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.append(reply_marker())
    return found


def reply_text(message: EmailMessage) -> str:
    """What the sender wrote this time: above our marker, without the quoted history and
    the signature where the parser finds one."""
    text = full_text(message)
    for marker in _markers():
        at = text.find(marker)
        if at >= 0:
            text = text[:at]
    parsed = _Reply(text=text, languages=list(_LANGUAGES)).read()
    body = parsed.replies[0].body if parsed.replies else text
    # Quoted lines the parser left (a reply written with no header above the quote).
    lines = body.splitlines()
    while lines and (lines[-1].startswith(">") or not lines[-1].strip()):
        lines.pop()
    return "\n".join(lines).strip()


# --- the files --------------------------------------------------------------------------


def attachments(message: EmailMessage) -> list[SimpleUploadedFile]:
    """Each attached file as an upload, for the evidence rules to check like any other."""
    files = []
    for part in message.iter_attachments():
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        data = part.get_payload(decode=True) or b""
        name = part.get_filename() or "attachment"
        files.append(SimpleUploadedFile(name, data, content_type=part.get_content_type()))
    return files
