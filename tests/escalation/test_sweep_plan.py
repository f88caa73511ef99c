"""The escalation batch's lock query reads its batch from one index, in deadline order.

At a million tickets the planner took `status IN (open statuses)` and the deadline as
independent, expected a few hundred due rows where ten thousand were, and chose a
status-first queue index that reads and sorts every remaining due row for each batch (the
cost grew with the square of the breached count). The query has no status condition now,
so only ticket_escalation_due can serve it; these tests check the plan on a table skewed
like production: most tickets closed, no deadline, and more due rows than one batch.
"""

import json

import pytest
from django.db import connection
from django.utils import timezone

from escalation import sweep
from tests.factories import TicketFactory
from tickets.models import Ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

CLOSED, RUNNING, DUE = 20_000, 1_500, 2_000
BATCH = 500


def _copies(template: Ticket, prefix: str, count: int, status: str, due_sql: str) -> None:
    """`count` copies of the template row in one INSERT ... SELECT (factories would take minutes)."""
    columns = [
        f.column
        for f in Ticket._meta.concrete_fields
        if f.column not in ("id", "reference", "status", "escalation_due_at")
    ]
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO tickets_ticket ({names}, reference, status, escalation_due_at)
            SELECT {names}, %s || '-' || g, %s, {due_sql}
            FROM tickets_ticket, generate_series(1, %s) AS g WHERE id = %s
            """,
            [prefix, status, count, template.pk],
        )


@pytest.fixture
def skewed():
    template = TicketFactory()
    _copies(template, "PC", CLOSED, "closed", "NULL")
    _copies(template, "PR", RUNNING, "open", "now() + g * interval '1 minute'")
    _copies(template, "PD", DUE, "open", "now() - g * interval '1 second'")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")


def _nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _plan(queryset) -> list[dict]:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return list(_nodes(plan[0]["Plan"]))


def test_the_lock_query_reads_one_batch_in_deadline_order_from_its_index(skewed):
    nodes = _plan(sweep.escalation_due(timezone.now(), BATCH).values_list("id"))
    shown = json.dumps(nodes, indent=1)
    scans = [node for node in nodes if node.get("Relation Name") == "tickets_ticket"]
    assert [node["Node Type"] for node in scans] == ["Index Scan"], shown
    assert scans[0]["Index Name"] == "ticket_escalation_due", shown
    # No Sort: the batch is the first BATCH index entries, not every due row sorted.
    assert not [node for node in nodes if "Sort" in node["Node Type"]], shown
    assert [node["Node Type"] for node in nodes[:2]] == ["Limit", "LockRows"], shown
    # The estimate comes from the deadline alone: the planner knows more than a batch is due.
    assert DUE / 2 <= scans[0]["Plan Rows"] <= DUE * 2, shown


def test_each_batch_takes_the_earliest_deadlines_and_leaves_the_rest(skewed):
    book = sweep.clock.PolicyBook.load()
    now = timezone.now()
    first = sweep.escalate_batch(now=now, book=book, batch_size=BATCH)
    assert len(first.escalated) == BATCH
    earliest = list(
        Ticket.objects.filter(pk__in=first.escalated).values_list("reference", flat=True)
    )
    # Copies g = DUE .. DUE - BATCH + 1 are the most overdue (now() - g seconds).
    assert sorted(int(ref.rsplit("-", 1)[1]) for ref in earliest) == list(
        range(DUE - BATCH + 1, DUE + 1)
    )
    assert Ticket.objects.filter(escalation_due_at__lte=now).count() == DUE - BATCH
