"""The staff audit trail in staff's words: no customer wording, no raw codes or emails."""

import pytest
from django.utils import translation

from tests.factories import AgentFactory, CustomerFactory, category
from tickets import services
from tickets.labels import staff_timeline

pytestmark = pytest.mark.django_db


def test_the_trail_uses_staff_wording_names_and_labels_in_both_languages():
    customer = CustomerFactory()
    agent = AgentFactory(full_name="Alex Agent")
    ticket = services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("withdrawal-not-received"),
        subject="USDT withdrawal never arrived",
        description="Nothing arrived.",
        fields={
            "occurred_at": "2026-11-18 10:18",
            "asset": "USDT",
            "network": "TRC20",
            "amount": "1520.35",
            "wallet_address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        },
    )
    services.ticket_assign(ticket=ticket, actor=agent, assignee=agent.email)
    services.ticket_request_info(ticket=ticket, actor=agent, body="Which wallet?")

    text = " | ".join(
        f"{row['change']} {row['details']}" for row in staff_timeline(ticket.events.all())
    )
    assert "Waiting on customer" in text and "Waiting for you" not in text
    assert "('Category', 'Withdrawal not received')" in text
    assert "('Channel', 'Web')" in text and "('Priority', 'High')" in text
    assert "('Assignee', 'Alex Agent')" in text and agent.email not in text
    assert "('Team', 'Deposits and Withdrawals')" in text
    assert "withdrawal-not-received" not in text and "'web'" not in text

    with translation.override("zh-hans"):
        chinese = " | ".join(
            f"{row['change']} {row['details']}" for row in staff_timeline(ticket.events.all())
        )
    assert "等待客户回复" in chinese and "提现未到账" in chinese
