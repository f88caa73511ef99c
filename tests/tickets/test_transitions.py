import pytest

from tests.factories import TicketFactory
from tickets import transitions
from tickets.exceptions import InvalidTransition, NotAllowed
from tickets.models import Status, Tier

pytestmark = pytest.mark.django_db


def test_request_info_only_from_new_or_open():
    assert transitions.check(TicketFactory(status=Status.OPEN), "request_info", "staff")
    with pytest.raises(InvalidTransition):
        transitions.check(TicketFactory(status=Status.RESOLVED), "request_info", "staff")


def test_customers_cannot_take_staff_actions():
    with pytest.raises(NotAllowed):
        transitions.check(TicketFactory(status=Status.OPEN), "reject", "customer")


def test_a_closed_case_allows_nothing():
    ticket = TicketFactory(status=Status.CLOSED)
    assert transitions.allowed_actions(ticket, "customer") == set()
    assert transitions.allowed_actions(ticket, "staff") == set()


def test_the_committee_is_the_last_tier():
    ticket = TicketFactory(status=Status.OPEN, tier=Tier.DISPUTE_COMMITTEE)
    with pytest.raises(InvalidTransition, match="final"):
        transitions.check(ticket, "escalate", "staff")
    assert transitions.next_tier(Tier.SUPPORT) == Tier.APPEAL_CENTER


def test_every_move_names_known_statuses():
    for action, move in transitions.TRANSITIONS.items():
        assert move.sources <= set(Status.values), action
        assert move.target is None or move.target in Status.values, action
