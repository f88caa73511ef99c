"""Four eyes that cannot be sidestepped: compensation is valued in one reference currency.

Before issue 16 REDRESS_APPROVAL_LIMIT=1000 was counted in units of whatever asset the
proposal named: 1,000 BTC reached the customer at once while 1,000.01 USDT waited.
"""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse
from django.utils import timezone

from escalation import services as lifecycle
from tests.factories import (
    AgentFactory,
    CustomerFactory,
    UserFactory,
    admin_user,
    category,
    login_verified,
    set_price,
)
from tickets import services
from tickets.exceptions import NotAllowed
from tickets.models import Asset, AssetPrice, EventKind, Resolution, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.REDRESS_REFERENCE_CURRENCY = "USD"
    settings.REDRESS_APPROVAL_LIMIT = Decimal("1000")


def filed() -> Ticket:
    customer = CustomerFactory()
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("other"),
        subject="Lost funds",
        description="A trade went wrong.",
        fields={},
    )


def compensate(amount: str, asset: str, agent=None) -> Resolution:
    return services.ticket_propose_resolution(
        ticket=filed(),
        actor=agent or AgentFactory(),
        kind="compensation",
        summary=f"We pay {amount} {asset}.",
        amount=amount,
        asset=asset,
    )


def test_bitcoin_is_valued_at_its_price_not_counted_in_coins():
    set_price("BTC", "60000")
    assert compensate("1000", "BTC").state == Resolution.State.PENDING_APPROVAL  # the hole
    assert compensate("0.02", "BTC").state == Resolution.State.PENDING_APPROVAL  # 1,200 USD
    small = compensate("0.01", "BTC")  # 600 USD
    assert small.state == Resolution.State.PROPOSED
    assert small.reference_value == Decimal("600") and small.reference_price.price == 60000


def test_ether_is_valued_at_its_price():
    set_price("ETH", "3000")
    assert compensate("0.5", "ETH").state == Resolution.State.PENDING_APPROVAL  # 1,500 USD
    assert compensate("0.2", "ETH").state == Resolution.State.PROPOSED  # 600 USD
    assert compensate("0.3333", "ETH").state == Resolution.State.PROPOSED  # 999.90 USD


def test_a_new_asset_without_a_price_always_needs_approval():
    Asset.objects.create(code="NEWX", name="New token")
    unpriced = compensate("0.0001", "NEWX")
    assert unpriced.state == Resolution.State.PENDING_APPROVAL
    assert unpriced.reference_price is None and unpriced.reference_value is None
    event = unpriced.ticket.events.get(kind=EventKind.RESOLUTION)
    assert event.internal and event.data["unpriced"] is True
    set_price("NEWX", "2")
    assert compensate("100", "NEWX").state == Resolution.State.PROPOSED  # 200 USD now


def test_the_price_in_force_when_proposed_values_it_and_the_history_is_kept():
    first = set_price("BTC", "60000")
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        second = set_price("BTC", "120000")
        later = compensate("0.01", "BTC")  # 1,200 USD at the new price
    assert later.state == Resolution.State.PENDING_APPROVAL
    assert later.reference_price == second and later.reference_value == Decimal("1200")
    assert list(Asset.objects.get(code="BTC").prices.all()) == [second, first]
    assert first.set_by != second.set_by and first.set_at < second.set_at
    event = later.ticket.events.get(kind=EventKind.RESOLUTION)
    assert event.data["reference_value"] == "1200"
    assert event.data["reference_currency"] == "USD"


def test_a_price_in_another_reference_currency_does_not_count(settings):
    set_price("BTC", "60000")
    settings.REDRESS_REFERENCE_CURRENCY = "EUR"
    assert compensate("0.001", "BTC").state == Resolution.State.PENDING_APPROVAL


def test_only_admins_set_prices_and_a_price_is_never_rewritten():
    btc = Asset.objects.get(code="BTC")
    for outsider in (AgentFactory(), UserFactory(role="appeal_officer", is_staff=True)):
        with pytest.raises(NotAllowed):
            services.asset_price_set(asset=btc, price="1", actor=outsider)
    price = set_price("BTC", "60000")
    with pytest.raises(TypeError):
        price.save()
    with pytest.raises(TypeError):
        AssetPrice.objects.filter(pk=price.pk).update(price=1)
    with pytest.raises(TypeError):
        price.delete()


@pytest.mark.postgres
def test_the_database_refuses_to_rewrite_a_price():
    price = set_price("BTC", "60000")
    for statement in ("UPDATE tickets_assetprice SET price = 1", "DELETE FROM tickets_assetprice"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    price.refresh_from_db()
    assert price.price == 60000


def test_an_approval_cannot_sidestep_the_panel():
    """A proposal left waiting below the committee cannot be approved there."""
    set_price("BTC", "60000")
    resolution = compensate("1", "BTC")
    lifecycle.ticket_escalate(ticket=resolution.ticket, actor=AgentFactory(), reason="Up.")
    lifecycle.ticket_escalate(
        ticket=resolution.ticket,
        actor=UserFactory(role="appeal_officer", is_staff=True),
        reason="Up again.",
    )
    for approver in (UserFactory(role="appeal_officer", is_staff=True), admin_user()):
        with pytest.raises(NotAllowed):
            lifecycle.resolution_approve(resolution_id=resolution.pk, approver=approver)
    resolution.refresh_from_db()
    assert resolution.state == Resolution.State.PENDING_APPROVAL


def test_admins_add_a_price_in_the_admin_and_it_says_who_and_when(client):
    superuser = UserFactory(role="admin", is_staff=True, is_superuser=True)
    login_verified(client, superuser)
    btc = Asset.objects.get(code="BTC")
    response = client.post(
        reverse("admin:tickets_assetprice_add"), {"asset": btc.pk, "price": "61000.5"}
    )
    assert response.status_code == 302
    price = btc.prices.get()
    assert (
        price.set_by == superuser and price.currency == "USD" and price.price == Decimal("61000.5")
    )
    listing = client.get(reverse("admin:tickets_asset_changelist")).content.decode()
    assert "61000.5 USD" in listing
    assert "none: compensation always needs approval" in listing  # the other assets
    page = client.get(reverse("admin:tickets_assetprice_change", args=[price.pk]))
    assert page.status_code == 200 and 'name="price"' not in page.content.decode()


def test_the_approval_inbox_shows_the_value_it_was_judged_by(client):
    set_price("ETH", "3000")
    resolution = compensate("1", "ETH")
    Asset.objects.create(code="NEWX", name="New token")
    unpriced = compensate("1", "NEWX")
    login_verified(client, UserFactory(role="appeal_officer", is_staff=True))
    page = client.get(reverse("staff:approvals")).content.decode()
    assert f'data-resolution="{resolution.pk}"' in page and "3,000.00 USD at 3000" in page
    assert f'data-resolution="{unpriced.pk}"' in page and "No reference price" in page


def test_the_demo_sets_reference_prices_once():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    assert AssetPrice.objects.filter(asset__code="BTC").count() == 1
    assert services.price_in_force(Asset.objects.get(code="USDT")).price == 1
