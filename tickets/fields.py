"""Clean the structured evidence fields a category asks for, from a form or the API alike."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import chains
from tickets.models import Asset, Category, EvidenceField, Network

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


def _lookup(model, value: Any, label: str):
    try:
        return model.objects.get(code__iexact=str(value).strip(), is_active=True)
    except model.DoesNotExist:
        raise ValidationError(
            _("Unknown %(what)s “%(value)s”.") % {"what": label, "value": value}, code="unknown"
        ) from None


def clean_ticket_fields(category: Category, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The category's evidence fields, parsed and checked; a ValidationError maps field -> errors.

    Fields the category does not ask for are ignored, so a changed category never keeps
    stale values the customer can no longer see.
    """
    wanted = category.evidence_fields
    required = set(category.required_fields)
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
                cleaned[name] = _lookup(Asset, value, _("asset"))
            elif name == EvidenceField.NETWORK:
                cleaned[name] = _lookup(Network, value, _("network"))
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

    asset: Asset | None = cleaned.get("asset")
    if (
        asset
        and network
        and network.assets.exists()
        and not network.assets.filter(pk=asset.pk).exists()
    ):
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
