"""The evidence fields a chat already holds: TxIDs, addresses, order IDs, amounts, the asset
and network named in the customer's messages, for "Turn into a ticket" to start from.

Only what passes the filing form's own checks (evidence.fields.clean_fields, per network)
is offered: a hash-shaped string that fails the chosen network's format is left out rather
than prefilled wrong. Filing checks everything again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError

from evidence.fields import EvidenceField, clean_fields
from tickets.catalogue import catalogue
from tickets.models import Asset, Category, Network

_TXID = re.compile(r"(?<![0-9A-Za-z])(0x[0-9a-fA-F]{64}|[0-9a-fA-F]{64})(?![0-9A-Za-z])")
_ADDRESSES = (
    re.compile(r"(?<![0-9A-Za-z])0x[0-9a-fA-F]{40}(?![0-9A-Za-z])"),
    re.compile(r"(?<![0-9A-Za-z])T[1-9A-HJ-NP-Za-km-z]{33}(?![0-9A-Za-z])"),
    re.compile(r"(?<![0-9A-Za-z])bc1[02-9ac-hj-np-z]{11,71}(?![0-9A-Za-z])"),
    re.compile(r"(?<![0-9A-Za-z])[13][1-9A-HJ-NP-Za-km-z]{25,34}(?![0-9A-Za-z])"),
)
_ORDER = re.compile(
    r"(?:order(?:\s*(?:id|no\.?|number|#))?|订单(?:号|编号)?)\s*[:：#]?\s*([A-Za-z0-9][A-Za-z0-9-]{5,39})",
    re.IGNORECASE,
)
_AMOUNT = re.compile(r"(?<![\w.])(\d{1,20}(?:\.\d{1,18})?)\s*([A-Za-z]{2,10})\b")


def candidates(texts: Iterable[str]) -> dict[str, str]:
    """The first value of each field found in the texts, as typed."""
    assets = {
        code.upper() for code in Asset.objects.filter(is_active=True).values_list("code", flat=True)
    }
    networks = list(Network.objects.filter(is_active=True).values_list("code", "name"))
    found: dict[str, str] = {}
    for text in texts:
        if "txid" not in found and (match := _TXID.search(text)):
            found["txid"] = match[1]
        if "wallet_address" not in found:
            for pattern in _ADDRESSES:
                if match := pattern.search(text):
                    found["wallet_address"] = match[0]
                    break
        if "order_id" not in found and (match := _ORDER.search(text)):
            found["order_id"] = match[1]
        if "amount" not in found:
            for match in _AMOUNT.finditer(text):
                if match[2].upper() in assets:
                    found["amount"], found["asset"] = match[1], match[2].upper()
                    break
        if "network" not in found:
            lowered = text.lower()
            for code, name in networks:
                if re.search(rf"(?<![0-9a-z]){re.escape(code.lower())}(?![0-9a-z])", lowered) or (
                    name.lower() in lowered
                ):
                    found["network"] = code
                    break
    return found


def checked_fields(found: dict[str, str], category: Category | None) -> dict[str, str]:
    """The found values the category (any, without one) asks for that pass the filing
    checks, as typed."""
    asked = category.evidence_fields if category is not None else list(EvidenceField.values)
    wanted = [name for name in asked if name in found]
    while wanted:
        try:
            clean_fields(found, wanted=wanted, required=(), catalogue=catalogue)
            return {name: found[name] for name in wanted}
        except ValidationError as error:
            failing = set(error.error_dict) & set(wanted)
            # "Choose the network" names a field not found: what needs it goes instead.
            wanted = [
                name
                for name in wanted
                if name not in (failing or {"txid", "wallet_address", "network"})
            ]
    return {}
