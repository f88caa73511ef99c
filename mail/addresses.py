"""Our addresses: the reply address that names a case, and our Message-IDs.

A reply address is `support+<reference>.<token>@<domain>`: the token is an HMAC of the
reference under the server's secret, so nobody can make the address of a case they were
not mailed about. Replies still must come from the case's customer (mail/inbound.py).
"""

from __future__ import annotations

import re
from email.utils import make_msgid

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "redress.mail.reply-address"
_TOKEN_LENGTH = 20


def _mailbox() -> tuple[str, str]:
    local, _, domain = settings.REDRESS_SUPPORT_ADDRESS.rpartition("@")
    return local, domain.lower()


def token(reference: str) -> str:
    return salted_hmac(_SALT, reference.upper(), algorithm="sha256").hexdigest()[:_TOKEN_LENGTH]


def reply_address(reference: str) -> str:
    local, domain = _mailbox()
    return f"{local}+{reference.upper()}.{token(reference)}@{domain}"


def reference_from(address: str) -> str | None:
    """The case a reply address names, if its token is ours; None for any other address."""
    local, domain = _mailbox()
    pattern = rf"{re.escape(local)}\+([A-Za-z0-9-]+)\.([0-9a-fA-F]+)@{re.escape(domain)}"
    match = re.fullmatch(pattern, address.strip(), flags=re.IGNORECASE)
    if not match:
        return None
    reference, given = match[1].upper(), match[2].lower()
    return reference if constant_time_compare(given, token(reference)) else None


def is_ours(address: str) -> bool:
    """The support address itself or one of its reply addresses (plus-addressed)."""
    local, domain = _mailbox()
    mailbox, _, at = address.strip().lower().rpartition("@")
    return at == domain and (mailbox == local.lower() or mailbox.startswith(local.lower() + "+"))


def message_id(kind: str) -> str:
    return make_msgid(idstring=kind.replace("_", "-"), domain=_mailbox()[1])


def case_thread(reference: str) -> str:
    """A Message-ID-like name for a case's thread: mail clients group our mails by it."""
    return f"<case.{reference.lower()}@{_mailbox()[1]}>"
