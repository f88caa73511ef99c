"""A small week of complaints with figures worked out by hand (the reports' tests check them).

Monday 2 March 2026, UTC. Durations are chosen at two significant figures, so the reports'
buckets keep them exact:

- A (kyc, web): filed D1 09:00; reply D1 11:00 (2 h); explanation proposed D1 12:20 (3 h 20);
  accepted D2 10:00 (25 h). Rated D2 11:00: outcome 5, service 4.
- B (other, api): filed D1 10:00; rejected D1 10:30 (30 min, the first reply and answer);
  appealed D2 10:00; the appeal center proposes D3 10:00; disputed D3 11:00 (to the
  committee); the committee overturns D4 13:00 (75 h). Rated D4 14:00: outcome 2, service 1.
- C (login-password, phone, filed by staff): filed D1 12:00; reply D1 17:00 (5 h); open.
- D (kyc): filed D2 09:00; escalated by hand D2 10:00; open.
- E (kyc): filed D2 11:00; compensation 50 USDT proposed D3 12:00 (25 h, the first reply);
  accepted D5 14:00 (75 h).
- F (login-password): filed D3 09:00, merged into C at D3 09:30.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import time_machine

from escalation import services as lifecycle
from reports import rollup
from reports import services as satisfaction
from tests.factories import (
    AgentFactory,
    CustomerFactory,
    UserFactory,
    category,
    committee_decides,
    set_price,
)
from tickets import services
from tickets.models import Channel, Ticket

D1 = datetime(2026, 3, 2, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return D1 + timedelta(days=day - 1, hours=hour, minutes=minute)


@dataclass
class Week:
    cases: dict[str, Ticket]
    agent: object
    officer: object
    lead: object
    customer: object


def _file(code: str, customer, *, filed_by=None, channel=Channel.WEB, **fields) -> Ticket:
    return services.ticket_file(
        customer=customer,
        filed_by=filed_by or customer,
        category=category(code),
        subject=f"Trouble with {code}",
        description="Something went wrong with my account.",
        fields=fields,
        channel=channel,
    )


def build(*, fold_daily: bool = False) -> Week:
    """Make the week; with `fold_daily`, fold the events at the end of each day."""
    customer = CustomerFactory(full_name="Lin Wei")
    agent = AgentFactory(full_name="Alex Agent")
    officer = UserFactory(role="appeal_officer", is_staff=True, full_name="Olga Officer")
    members = [UserFactory(role="committee", is_staff=True) for _ in range(3)]
    lead = AgentFactory(full_name="Lee Lead")
    cases: dict[str, Ticket] = {}
    # Worth its amount in USD: the week's small compensation needs no second approver.
    with time_machine.travel(at(1, 0), tick=False):
        set_price("USDT", "1")

    def step(moment, action):
        with time_machine.travel(moment, tick=False):
            action()

    def fold(day):
        if fold_daily:
            with time_machine.travel(at(day + 1, 0), tick=False):
                satisfaction.ratings_invite()
                rollup.fold()

    def rate(ticket, outcome, service):
        rating = ticket.ratings.get()
        satisfaction.rating_submit(
            rating=rating, customer=customer, outcome_score=outcome, service_score=service
        )

    # Day 1; the rating invitations start reading events from here (a running installation).
    step(at(1, 8), lambda: satisfaction.ratings_invite())
    step(at(1, 9), lambda: cases.__setitem__("A", _file("kyc", customer)))
    step(at(1, 10), lambda: cases.__setitem__("B", _file("other", customer, channel=Channel.API)))
    step(
        at(1, 10, 30),
        lambda: services.ticket_reject(ticket=cases["B"], actor=agent, reason="Not our service."),
    )
    step(
        at(1, 11),
        lambda: services.ticket_add_message(
            ticket=cases["A"], author=agent, body="We are looking at your documents."
        ),
    )
    step(
        at(1, 12, 20),
        lambda: services.ticket_propose_resolution(
            ticket=cases["A"], actor=agent, kind="explanation", summary="Your selfie was blurred."
        ),
    )
    step(
        at(1, 12),
        lambda: cases.__setitem__(
            "C",
            _file(
                "login-password",
                customer,
                filed_by=agent,
                channel=Channel.PHONE,
                device="iPhone 15",
            ),
        ),
    )
    step(
        at(1, 17),
        lambda: services.ticket_add_message(ticket=cases["C"], author=agent, body="Reset it."),
    )
    fold(1)
    # Day 2
    step(at(2, 9), lambda: cases.__setitem__("D", _file("kyc", customer)))
    step(
        at(2, 10),
        lambda: lifecycle.resolution_accept(ticket=cases["A"], actor=customer),
    )
    step(
        at(2, 10),
        lambda: lifecycle.appeal_file(ticket=cases["B"], customer=customer, reason="It is yours."),
    )
    step(
        at(2, 10),
        lambda: lifecycle.ticket_escalate(ticket=cases["D"], actor=agent, reason="Large loss."),
    )
    step(at(2, 10, 30), lambda: satisfaction.ratings_invite())
    step(at(2, 11), lambda: rate(cases["A"], 5, 4))
    step(at(2, 11), lambda: cases.__setitem__("E", _file("kyc", customer)))
    fold(2)
    # Day 3
    step(
        at(3, 9), lambda: cases.__setitem__("F", _file("login-password", customer, device="Pixel"))
    )
    step(
        at(3, 9, 30),
        lambda: services.ticket_merge(ticket=cases["F"], actor=agent, into=cases["C"]),
    )
    step(
        at(3, 10),
        lambda: services.ticket_propose_resolution(
            ticket=cases["B"], actor=officer, kind="explanation", summary="Still not ours."
        ),
    )
    step(
        at(3, 11),
        lambda: lifecycle.appeal_file(ticket=cases["B"], customer=customer, reason="Committee."),
    )
    step(at(3, 11), lambda: lifecycle.panel_draw(ticket=cases["B"]))
    step(
        at(3, 12),
        lambda: services.ticket_propose_resolution(
            ticket=cases["E"],
            actor=agent,
            kind="compensation",
            summary="We refund the fee.",
            amount="50",
            asset="USDT",
        ),
    )
    fold(3)
    # Day 4
    step(
        at(4, 13),
        lambda: committee_decides(
            cases["B"], members, "overturn", "The exchange's service.", "Refund the fee."
        ),
    )
    step(at(4, 13, 30), lambda: satisfaction.ratings_invite())
    step(at(4, 14), lambda: rate(cases["B"], 2, 1))
    fold(4)
    # Day 5
    step(at(5, 14), lambda: lifecycle.resolution_accept(ticket=cases["E"], actor=customer))
    fold(5)
    for ticket in cases.values():
        ticket.refresh_from_db()
    return Week(cases=cases, agent=agent, officer=officer, lead=lead, customer=customer)
