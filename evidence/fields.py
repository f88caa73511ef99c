"""Clean the structured evidence fields a category asks for, whatever the door.

Pure checks: the known assets and networks are the case's admin-edited lists, so the
caller hands them over as a `Catalogue` (tickets.catalogue) instead of this module
reading tables that live above it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evidence import chains


class EvidenceField(models.TextChoices):
    """The structured fields a category may ask for (DESIGN.md, Evidence)."""

    OCCURRED_AT = "occurred_at", gettext_lazy("When it happened")
    ASSET = "asset", gettext_lazy("Asset")
    NETWORK = "network", gettext_lazy("Network")
    AMOUNT = "amount", gettext_lazy("Amount")
    ORDER_ID = "order_id", gettext_lazy("Order ID")
    TXID = "txid", gettext_lazy("Transaction hash (TxID)")
    WALLET_ADDRESS = "wallet_address", gettext_lazy("Wallet address")
    TRADING_PAIR = "trading_pair", gettext_lazy("Trading pair")
    DEVICE = "device", gettext_lazy("Device and browser or app version")


class Network(Protocol):
    code: str
    name: str
    family: str


class Asset(Protocol):
    code: str
    decimals: int


class Catalogue(Protocol):
    """The assets and networks a customer may name: active ones only, looked up by code."""

    def asset(self, code: str) -> Asset | None: ...

    def network(self, code: str) -> Network | None: ...

    def carries(self, network: Network, asset: Any) -> bool:
        """Whether the asset is sent on the network here (a network naming none carries all)."""
        ...


_TRADING_PAIR = re.compile(r"^([A-Z0-9]{2,12})[/\-_]?([A-Z0-9]{2,12})$")
_MAX_TEXT = {"order_id": 64, "trading_pair": 32, "device": 200}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_occurred_at(value: Any):
    # Form fields parse every input format the active language allows, plus ISO 8601.
    try:
        parsed = forms.DateTimeField().clean(value)
    except ValidationError:
        raise ValidationError(
            _("Enter a date and time such as 2026-03-06 10:18."), code="invalid"
        ) from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    if parsed > timezone.now() + timezone.timedelta(minutes=5):
        raise ValidationError(_("This time is in the future."), code="future")
    return parsed


def clean_amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a number such as 1520.35."), code="invalid") from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationError(_("The amount must be greater than zero."), code="not_positive")
    if amount.as_tuple().exponent < -18 or abs(amount) >= Decimal(10) ** 20:
        raise ValidationError(
            _("Enter at most 20 digits before the point and 18 after it."), code="precision"
        )
    return amount


def check_places(amount: Decimal, asset: Asset) -> None:
    """An amount has no more decimal places than its asset (USDT 6, BTC 8)."""
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > asset.decimals:
        raise ValidationError(
            _("%(asset)s has %(places)d decimal places: enter at most %(places)d after the point.")
            % {"asset": asset.code, "places": asset.decimals},
            code="places",
        )


def _lookup(find, value: Any, label: str):
    found = find(str(value).strip())
    if found is None:
        raise ValidationError(
            _("Unknown %(what)s “%(value)s”.") % {"what": label, "value": value}, code="unknown"
        )
    return found


def clean_fields(
    raw: Mapping[str, Any],
    *,
    wanted: Sequence[str],
    required: Collection[str],
    catalogue: Catalogue,
) -> dict[str, Any]:
    """The `wanted` evidence fields, parsed and checked; a ValidationError maps field -> errors.

    Fields not wanted (a category does not ask for them) are ignored, so a changed
    category never keeps stale values the customer can no longer see.
    """
    required = set(required)
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[ValidationError]] = {}

    def fail(name: str, error: ValidationError) -> None:
        errors.setdefault(name, []).append(error)

    for name in wanted:
        value = raw.get(name)
        if _blank(value):
            if name in required:
                fail(name, ValidationError(_("This category needs this field."), "required"))
            continue
        try:
            if name == EvidenceField.OCCURRED_AT:
                cleaned[name] = _clean_occurred_at(value)
            elif name == EvidenceField.AMOUNT:
                cleaned[name] = clean_amount(value)
            elif name == EvidenceField.ASSET:
                cleaned[name] = _lookup(catalogue.asset, value, _("asset"))
            elif name == EvidenceField.NETWORK:
                cleaned[name] = _lookup(catalogue.network, value, _("network"))
            elif name == EvidenceField.TRADING_PAIR:
                match = _TRADING_PAIR.match(str(value).strip().upper())
                if not match:
                    raise ValidationError(_("Enter a pair such as BTC/USDT."), code="invalid")
                cleaned[name] = f"{match[1]}/{match[2]}"
            else:
                text = str(value).strip()
                limit = _MAX_TEXT.get(name, 128)
                if len(text) > limit:
                    raise ValidationError(
                        _("Keep this to %(limit)d characters.") % {"limit": limit}, "too_long"
                    )
                cleaned[name] = text
        except ValidationError as error:
            fail(name, error)

    # TxIDs and addresses only make sense on a network: check them by its format.
    network: Network | None = cleaned.get("network")
    for name, normalize in (
        ("txid", chains.normalize_txid),
        ("wallet_address", chains.normalize_address),
    ):
        if name not in cleaned:
            continue
        if network is None:
            if "network" in wanted and "network" not in errors:
                fail(
                    "network", ValidationError(_("Choose the network it was sent on."), "required")
                )
            continue
        try:
            cleaned[name] = normalize(network.family, cleaned[name], network=network.name)
        except ValidationError as error:
            fail(name, error)

    asset = cleaned.get("asset")
    if asset and "amount" in cleaned:
        try:
            check_places(cleaned["amount"], asset)
        except ValidationError as error:
            fail("amount", error)
    if asset and network and not catalogue.carries(network, asset):
        fail(
            "network",
            ValidationError(
                _("%(asset)s is not sent on %(network)s here.")
                % {"asset": asset.code, "network": network.name},
                "mismatch",
            ),
        )

    if errors:
        raise ValidationError(errors)
    return cleaned
