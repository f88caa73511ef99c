"""Staff search: what agents type in practice, in English and Chinese, and its query plans.

The finding tests run on both databases (PostgreSQL full text, SQLite LIKE in the demo);
the plan test needs PostgreSQL and enough tickets for the planner to choose as it would at
scale: every kind of search must start from an index, never walk the open cases.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from desk.queue import QueueFilters, queue_page
from tests.factories import AgentFactory, CustomerFactory, category
from tickets import services
from tickets.models import OPEN_STATUSES, Status, Ticket, TicketSearch, TicketTerm

pytestmark = pytest.mark.django_db

TRON_TXID = "c4b5fb0e1cf1b0a5b8f2a1e0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"
TRON_ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


def filed(customer, subject, description, code="other", **fields):
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category(code),
        subject=subject,
        description=description,
        fields=fields,
    )


@pytest.fixture
def cases():
    lin = CustomerFactory(email="lin.wei@example.com", full_name="Lin Wei")
    lin.customer_profile.exchange_uid = "38211907"
    lin.customer_profile.save()
    other = CustomerFactory(email="sam@example.org", full_name="Sam Porter")
    return {
        "chinese": filed(lin, "USDT 提现未到账", "我在周一提现了 1520 USDT，钱包一直没有收到。"),
        "english": filed(other, "Liquidated too early", "My margin position was liquidated."),
        "tron": filed(
            other,
            "Withdrawal missing",
            "Sent on TRC20.",
            "withdrawal-not-received",
            occurred_at="2026-11-18T10:18",
            asset="USDT",
            network="TRC20",
            amount="10",
            txid=TRON_TXID,
            wallet_address=TRON_ADDRESS,
        ),
    }


def found(text, cases) -> set[str]:
    agent = AgentFactory()
    page = queue_page(agent, QueueFilters(view="all", q=text))
    names = {ticket.pk: name for name, ticket in cases.items()}
    return {names[ticket.pk] for ticket in page.tickets if ticket.pk in names}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("到账", {"chinese"}),
        ("提现", {"chinese"}),
        ("钱包", {"chinese"}),
        ("USDT 提现", {"chinese"}),
        ("liquidated", {"english"}),
        ("margin position", {"english"}),
        (TRON_TXID, {"tron"}),
        (TRON_ADDRESS, {"tron"}),
        ("lin.wei@example.com", {"chinese"}),
        ("Lin Wei", {"chinese"}),
        ("38211907", {"chinese"}),
        ("nothing like this", set()),
    ],
)
def test_staff_search_finds_what_agents_type(cases, text, expected):
    assert found(text, cases) == expected


def test_part_of_a_reference_finds_the_case(cases):
    reference = cases["english"].reference  # RD-XXXX-YYYY
    first, second = reference.split("-")[1:]
    assert found(second, cases) == {"english"}
    assert found(f"{first}-{second}", cases) == {"english"}
    assert found(f"{first}-{second[:2]}", cases) == {"english"}
    assert found(reference.lower(), cases) == {"english"}


@pytest.mark.postgres
def test_a_partly_typed_reference_part_matches_as_a_prefix(cases):
    second = cases["english"].reference.split("-")[2]
    assert "english" in found(second[:3], cases)


@pytest.mark.postgres
def test_a_reply_in_chinese_is_found_and_a_closed_case_leaves_the_queue(cases):
    agent = AgentFactory()
    services.ticket_add_message(ticket=cases["english"], author=agent, body="我们已经冻结账户。")
    assert found("冻结账户", cases) == {"english"}
    Ticket.objects.filter(pk=cases["english"].pk).update(status=Status.CLOSED)
    # The triggers moved it out of the open cases' index; the all-status search still has it.
    assert not TicketSearch.objects.get(pk=cases["english"].pk).is_open
    assert not TicketTerm.objects.filter(ticket=cases["english"]).exists()
    assert found("冻结账户", cases) == set()
    from tickets import search

    assert list(search.search(Ticket.objects.all(), "冻结账户")) == [cases["english"]]


# The plan test: tickets enough for the planner's statistics to resemble a real desk.
TICKETS, OPEN_EVERY = 60_000, 25


def _many_tickets(customer: User) -> None:
    """TICKETS rows, one in OPEN_EVERY open, with search documents, in a few statements."""
    other = category("other").pk
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_ticket (reference, customer_id, filed_by_id, channel, category_id,
                subject, description, status, tier, priority, order_id, txid, wallet_address,
                trading_pair, device, created_at, updated_at, escalation_due_at, sla_warned,
                sla_breached)
            SELECT 'RD-' || upper(substr(md5(g::text), 1, 4)) || '-' || upper(substr(md5(g::text), 5, 4)),
                   %(customer)s, %(customer)s, 'web', %(category)s,
                   CASE WHEN g %% 3 = 0 THEN 'Withdrawal missing' ELSE '充值未到账' END,
                   'Please help', CASE WHEN g %% %(every)s = 0 THEN 'open' ELSE 'closed' END,
                   'support', 'normal', '', md5(g::text || 'tx') || md5(g::text), 'T' || md5(g::text),
                   '', '', now(), now(), now() + g * interval '1 second', '[]', '[]'
            FROM generate_series(1, %(n)s) AS g
            """,
            {"customer": customer.pk, "category": other, "every": OPEN_EVERY, "n": TICKETS},
        )
        cursor.execute(
            """
            INSERT INTO tickets_ticketsearch (ticket_id, vector, is_open)
            SELECT id, array_to_tsvector(ARRAY[lower(reference), lower(txid), lower(wallet_address),
                       split_part(lower(reference), '-', 2), split_part(lower(reference), '-', 3),
                       'many@example.com', 'many', 'example', 'com', 'ruth', 'okafor', '77120045']
                       || CASE WHEN subject LIKE 'W%%' THEN ARRAY['withdrawal', 'missing']
                               ELSE ARRAY['充值', '值未', '未到', '到账'] END),
                   status IN %(open)s
            FROM tickets_ticket WHERE customer_id = %(customer)s
            """,
            {"customer": customer.pk, "open": tuple(OPEN_STATUSES)},
        )
        cursor.execute("ANALYZE tickets_ticket")
        cursor.execute("ANALYZE tickets_ticketsearch")
        cursor.execute("ANALYZE tickets_ticketterm")


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


# Indexes over every open case (or every open case of a tier): a search that scans one of
# them reads thousands of cases to find its matches, whatever it then does with them.
OPEN_CASE_INDEXES = {"queue_open_by_due", "queue_status_by_due", "queue_tier_by_due"}


def _walks_open_cases(nodes: list[dict]) -> bool:
    """Does the plan walk the open cases (checking each one's words, or hashing the matches
    against them) instead of starting from the matches?"""
    for node in nodes:
        relation = node.get("Relation Name", "")
        if node.get("Index Name") in OPEN_CASE_INDEXES:
            return True
        if node["Node Type"] == "Seq Scan" and relation in (
            "tickets_ticket",
            "tickets_ticketsearch",
        ):
            return True
        if "@@" in node.get("Filter", "") or "@@" in node.get("Join Filter", ""):
            return True
        if relation == "tickets_ticketsearch" and node.get("Index Name", "").endswith("pkey"):
            return True
    return False


@pytest.mark.postgres
@pytest.mark.parametrize("view", ["all", "mine"])
def test_every_kind_of_search_starts_from_an_index_not_a_walk_of_open_cases(view):
    customer = CustomerFactory(email="many@example.com", full_name="Ruth Okafor")
    customer.customer_profile.exchange_uid = "77120045"
    customer.customer_profile.save()
    _many_tickets(customer)
    case = Ticket.objects.filter(customer=customer, status="open").order_by("-id").first()
    agent = AgentFactory()
    # The agent's own cases: the newest tenth of the open ones (both languages among them),
    # so "mine" has matches too. Counted by rank, not by id: ids start wherever the
    # database's sequence stands, so "id % 10 = 0" picked no open case in some runs.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket SET assignee_id = %s WHERE id IN ("
            " SELECT id FROM tickets_ticket WHERE customer_id = %s AND status = 'open'"
            " ORDER BY id DESC LIMIT %s)",
            [agent.pk, customer.pk, TICKETS // OPEN_EVERY // 10],
        )
        cursor.execute("ANALYZE tickets_ticket")
    kinds = {
        "reference": case.reference,
        "part of a reference": case.reference.split("-")[2],
        "TxID": case.txid,
        "address": case.wallet_address,
        "email": customer.email,
        "name": "Ruth Okafor",
        "exchange UID": "77120045",
        "English word": "withdrawal",
        "Chinese word": "到账",
    }
    for kind, text in kinds.items():
        with CaptureQueriesContext(connection) as captured:
            rows = queue_page(agent, QueueFilters(view=view, q=text)).tickets
        assert rows, kind
        searched = [q["sql"] for q in captured.captured_queries if "tickets_ticket" in q["sql"]]
        for sql in searched:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
                plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            nodes = list(_nodes(plan[0]["Plan"]))
            assert not _walks_open_cases(nodes), (kind, json.dumps(plan, indent=1))
        used = {node.get("Index Name") for sql in searched[:1] for node in nodes}
        assert used & {"tickets_ticketterm_pkey", "ticket_reference", "tickets_ticket_pkey"}, (
            kind,
            used,
        )


@pytest.mark.postgres
@pytest.mark.parametrize("view", ["breached", "past_decision"])
def test_the_breached_and_past_deadline_views_do_not_read_every_open_case(view):
    """ "Breached" walks its own index of breached open cases; neither view scans the
    open cases of a tier to keep a few of them."""
    from django.utils import timezone

    customer = CustomerFactory(email="many@example.com")
    _many_tickets(customer)
    now = timezone.now()
    with connection.cursor() as cursor:
        # A few breached cases, and the regulator's deadline passed for a third of the rest.
        cursor.execute(
            "UPDATE tickets_ticket SET last_breach_at = %s WHERE status = 'open' AND id %% 97 = 0",
            [now],
        )
        cursor.execute(
            "UPDATE tickets_ticket SET final_decision_due_at = created_at "
            "- (id %% 3) * interval '70 days' + interval '60 days' WHERE status = 'open'",
            [],
        )
        cursor.execute("ANALYZE tickets_ticket")
    agent = AgentFactory()
    with CaptureQueriesContext(connection) as captured:
        queue_page(agent, QueueFilters(view=view), now=now)
    # The page's order comes from its first ordered query (past the deadline: the ids alone).
    sql = next(q["sql"] for q in captured.captured_queries if "ORDER BY" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes = list(_nodes(plan[0]["Plan"]))
    assert not any(n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "tickets_ticket"
                   for n in nodes), json.dumps(plan, indent=1)  # fmt: skip
    used = {n.get("Index Name") for n in nodes}
    if view == "breached":
        assert "queue_breached_by_due" in used, json.dumps(plan, indent=1)
    else:
        # Walked in the view's own order: no Sort of every case past the deadline.
        assert "queue_past_decision" in used, json.dumps(plan, indent=1)
        assert not any(n["Node Type"] == "Sort" for n in nodes), json.dumps(plan, indent=1)
