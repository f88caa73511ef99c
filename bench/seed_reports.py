"""A year of case history for the tickets bench/seed.py made: what the reports read.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress_h5_bench \
        uv run python bench/seed_reports.py

bench/seed.py leaves each ticket in its final state with a `filed` event (and a `tier`
event above support). This adds, set-based and in id chunks, the history that state
implies, at the times the ticket's columns give:

- the final-decision deadline (60 days after filing) on every ticket, the time of its
  final decision where it has one, and the pending warning of the undecided;
- the first public staff reply (a message and its event);
- for a case resolved, closed or waiting on a proposal: the proposal (a Resolution, its
  `resolution` and `status` events) and, when it was answered, the customer's acceptance
  (or the timeout's) with its `answer` and `status` events;
- for a rejected case: its `status` event; for an appeal (the `tier` events with reason
  appeal): the Appeal;
- for a case the committee closed: a decided panel (uphold, modify or overturn) and its
  `decision` event;
- the SLA records: first reply and resolution met, or breached where the case last
  missed a deadline;
- ratings for a third of the resolutions, a few delay notices for undecided old cases.

It is deterministic for a given --seed and refuses to run twice on the same tickets
(it checks for the first-reply messages). Foreign-key triggers are skipped for the
session (superuser), as in seed.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

CHUNK = 100_000


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunk", type=int, default=CHUNK, help="tickets per statement")
    parser.add_argument("--seed", type=float, default=0.24, help="setseed() value, -1..1")
    parser.add_argument("--rated", type=float, default=0.33, help="share of resolutions rated")
    parser.add_argument(
        "--resume", metavar="STEP", help="start at this step (after an interrupted run)"
    )
    parser.add_argument("--only", metavar="STEP", help="run this step alone")
    return parser.parse_args(argv)


# The times each ticket's history happens at, from its seeded columns. `answered`: when the
# desk's last answer was given or (for a resolved case) accepted; `replied`: the first
# public staff reply (for a case above support, at support, before it went up).
HISTORY = """
CREATE UNLOGGED TABLE bench_history AS
SELECT t.id, t.created_at, t.status, t.tier, t.team_id, t.assignee_id, t.category_id,
       t.resolved_at, t.closed_at, t.last_breach_at, t.sla_started_at,
       t.first_response_due_at, t.resolution_due_at,
       CASE WHEN t.tier = 'support' THEN t.first_responded_at
            ELSE t.created_at + (t.sla_started_at - t.created_at) * 0.2 END AS replied,
       CASE WHEN t.status IN ('resolved') THEN t.resolved_at
            WHEN t.status = 'closed' AND t.resolved_at IS NOT NULL THEN t.resolved_at
            WHEN t.status = 'closed' THEN t.closed_at - %(appeal_window)s
            WHEN t.status = 'rejected' THEN t.lifecycle_due_at - %(appeal_window)s
            WHEN t.status = 'resolution_proposed' THEN t.lifecycle_due_at - %(accept_after)s
       END AS answered,
       (t.status = 'rejected' OR (t.status = 'closed' AND t.resolved_at IS NULL)) AS rejected,
       random() AS r1, random() AS r2, random() AS r3, random() AS r4
FROM tickets_ticket t
"""

EVENT_COLUMNS = (
    "kind, from_status, to_status, from_tier, to_tier, data, internal, created_at, actor_id, "
    "ticket_id"
)


def _staff(column: str = "h.assignee_id") -> str:
    # The case's assignee, or any seeded agent (the reply was somebody's).
    return (
        f"coalesce({column}, (SELECT min(id) FROM accounts_user WHERE email LIKE 'bench-agent-%%'))"
    )


STEPS = [
    (
        "final-decision deadline",
        """
        UPDATE tickets_ticket t
        SET final_decision_due_at = h.created_at + %(decision_days)s,
            final_decision_at = CASE WHEN h.status IN ('resolved', 'closed', 'rejected')
                                     THEN h.answered END,
            final_decision_warning_at = CASE
                WHEN h.status NOT IN ('resolved', 'closed', 'rejected')
                 AND h.created_at + %(decision_days)s > %(now)s
                THEN greatest(%(now)s, h.created_at + %(decision_days)s - %(warn_days)s) END
        FROM bench_history h WHERE t.id = h.id AND h.id BETWEEN %(lo)s AND %(hi)s
        """,
    ),
    (
        "first replies",
        f"""
        WITH reply AS (
            INSERT INTO tickets_message (ticket_id, author_id, body, internal, from_staff,
                                         created_at)
            SELECT h.id, {_staff()}, 'Thank you, we are looking into it.', false, true,
                   h.replied
            FROM bench_history h
            WHERE h.replied IS NOT NULL AND h.id BETWEEN %(lo)s AND %(hi)s
            RETURNING id, ticket_id, author_id, created_at
        )
        INSERT INTO tickets_ticketevent ({EVENT_COLUMNS})
        SELECT 'message', '', '', '', '', jsonb_build_object('message', id), false,
               created_at, author_id, ticket_id
        FROM reply
        """,
    ),
    (
        "proposals",
        f"""
        WITH proposed AS (
            SELECT h.*, greatest(h.replied, h.answered - (h.answered - h.replied) * 0.5)
                        AS proposed_at,
                   (ARRAY['explanation', 'explanation', 'compensation', 'account_recovery',
                          'account_unfreeze', 'technical_fix', 'mediation', 'rejection'])
                       [1 + floor(h.r1 * 8)::int] AS kind
            FROM bench_history h
            WHERE h.answered IS NOT NULL AND NOT h.rejected AND h.replied IS NOT NULL
              AND h.id BETWEEN %(lo)s AND %(hi)s
        ), made AS (
            INSERT INTO tickets_resolution (ticket_id, tier, kind, summary, amount, asset_id,
                                            state, proposed_by_id, approved_by_id, answered_at,
                                            dispute_reason, created_at)
            SELECT p.id, p.tier, p.kind, 'Our proposal.',
                   CASE WHEN p.kind = 'compensation' THEN round((10 + p.r2 * 500)::numeric, 2) END,
                   CASE WHEN p.kind = 'compensation'
                        THEN (SELECT id FROM tickets_asset WHERE code = 'USDT') END,
                   CASE WHEN p.status = 'resolution_proposed' THEN 'proposed' ELSE 'accepted' END,
                   {_staff("p.assignee_id")}, NULL,
                   CASE WHEN p.status <> 'resolution_proposed' THEN p.answered END,
                   '', p.proposed_at
            FROM proposed p
            RETURNING id, ticket_id, proposed_by_id, created_at, answered_at, kind
        ), events AS (
            SELECT m.ticket_id, 'resolution' AS kind, '' AS from_status, '' AS to_status,
                   jsonb_build_object('resolution', m.id, 'resolution_kind', m.kind) AS data,
                   m.created_at, m.proposed_by_id AS actor_id
            FROM made m
            UNION ALL
            SELECT m.ticket_id, 'status', 'open', 'resolution_proposed', '{{}}'::jsonb,
                   m.created_at, m.proposed_by_id
            FROM made m
            UNION ALL
            SELECT m.ticket_id, 'answer', '', '',
                   jsonb_build_object('resolution', m.id, 'answer',
                                      CASE WHEN random() < 0.3 THEN 'accepted_by_timeout'
                                           ELSE 'accepted' END),
                   m.answered_at, NULL
            FROM made m WHERE m.answered_at IS NOT NULL
            UNION ALL
            SELECT m.ticket_id, 'status', 'resolution_proposed', 'resolved', '{{}}'::jsonb,
                   m.answered_at, NULL
            FROM made m WHERE m.answered_at IS NOT NULL
        )
        INSERT INTO tickets_ticketevent ({EVENT_COLUMNS})
        SELECT kind, from_status, to_status, '', '', data, false, created_at, actor_id,
               ticket_id
        FROM events
        """,
    ),
    (
        "rejections",
        f"""
        INSERT INTO tickets_ticketevent ({EVENT_COLUMNS})
        SELECT 'status', 'open', 'rejected', '', '', '{{"reason": "Not our service."}}'::jsonb,
               false, h.answered, {_staff()}, h.id
        FROM bench_history h
        WHERE h.rejected AND h.answered IS NOT NULL AND h.id BETWEEN %(lo)s AND %(hi)s
        """,
    ),
    (
        "appeals",
        """
        INSERT INTO escalation_appeal (ticket_id, resolution_id, from_tier, to_tier, reason,
                                       state, created_at, closed_at)
        SELECT e.ticket_id, NULL, e.from_tier, e.to_tier, 'I disagree.',
               CASE WHEN h.status IN ('open', 'new', 'pending_customer', 'resolution_proposed')
                    THEN 'open' ELSE 'decided' END,
               e.created_at,
               CASE WHEN h.status NOT IN ('open', 'new', 'pending_customer',
                                          'resolution_proposed') THEN h.answered END
        FROM tickets_ticketevent e JOIN bench_history h ON h.id = e.ticket_id
        WHERE e.kind = 'tier' AND e.data->>'reason' = 'appeal'
          AND e.ticket_id BETWEEN %(lo)s AND %(hi)s
        """,
    ),
    (
        "committee decisions",
        f"""
        WITH decided AS (
            INSERT INTO escalation_panel (ticket_id, size, state, decision, rationale, remedy,
                                          created_at, decided_at)
            SELECT h.id, 3, 'decided',
                   (ARRAY['uphold', 'uphold', 'modify', 'overturn'])[1 + floor(h.r3 * 4)::int],
                   'The majority''s reasons.', '', h.sla_started_at, h.answered
            FROM bench_history h
            WHERE h.tier = 'dispute_committee' AND h.status = 'closed'
              AND h.answered IS NOT NULL AND h.id BETWEEN %(lo)s AND %(hi)s
            RETURNING id, ticket_id, decision, decided_at
        )
        INSERT INTO tickets_ticketevent ({EVENT_COLUMNS})
        SELECT 'decision', '', '', '', '',
               jsonb_build_object('panel', id, 'decision', decision), false, decided_at, NULL,
               ticket_id
        FROM decided
        """,
    ),
    (
        "sla records",
        """
        INSERT INTO escalation_slarecord (ticket_id, tier, target, outcome, due_at, at,
                                          policy_id)
        SELECT h.id, 'support', 'first_response',
               CASE WHEN h.replied <= h.created_at + (h.first_response_due_at - h.sla_started_at)
                    THEN 'met' ELSE 'breached' END,
               h.created_at + (h.first_response_due_at - h.sla_started_at), h.replied,
               NULL::bigint
        FROM bench_history h
        WHERE h.replied IS NOT NULL AND h.id BETWEEN %(lo)s AND %(hi)s
        UNION ALL
        SELECT h.id, h.tier, 'resolution',
               CASE WHEN h.resolved_at <= h.resolution_due_at THEN 'met' ELSE 'breached' END,
               h.resolution_due_at, h.resolved_at, NULL
        FROM bench_history h
        WHERE h.resolved_at IS NOT NULL AND h.id BETWEEN %(lo)s AND %(hi)s
        UNION ALL
        SELECT h.id, 'support', 'resolution', 'breached', h.last_breach_at, h.last_breach_at,
               NULL
        FROM bench_history h
        WHERE h.last_breach_at IS NOT NULL AND h.id BETWEEN %(lo)s AND %(hi)s
        """,
    ),
    (
        "ratings",
        f"""
        WITH rated AS (
            INSERT INTO reports_rating (ticket_id, resolution_key, outcome, tier, team_id,
                                        assignee_id, resolved_at, valid_until, outcome_score,
                                        service_score, comment, rated_at, created_at)
            SELECT r.ticket_id, 'resolution:' || r.id, r.kind, r.tier, h.team_id,
                   h.assignee_id, r.answered_at, r.answered_at + %(appeal_window)s,
                   CASE WHEN r.kind IN ('explanation', 'rejection')
                        THEN 1 + floor(power(h.r4, 0.8) * 5)::int
                        ELSE 1 + floor(power(h.r4, 0.4) * 5)::int END,
                   1 + floor(power(h.r2, 0.5) * 5)::int, '',
                   r.answered_at + h.r3 * interval '2 days', r.answered_at
            FROM tickets_resolution r JOIN bench_history h ON h.id = r.ticket_id
            WHERE r.state = 'accepted' AND h.r4 < %(rated)s
              AND r.answered_at + interval '2 days' < %(now)s
              AND r.ticket_id BETWEEN %(lo)s AND %(hi)s
            RETURNING id, ticket_id, rated_at
        )
        INSERT INTO tickets_ticketevent ({EVENT_COLUMNS})
        SELECT 'rated', '', '', '', '', jsonb_build_object('rating', id), false, rated_at,
               NULL, ticket_id
        FROM rated
        """,
    ),
    (
        "delay notices",
        f"""
        WITH noticed AS (
            INSERT INTO tickets_delaynotice (ticket_id, reason, expected_by, recorded_by_id,
                                             created_at)
            SELECT h.id, 'We wait for a third party''s records.',
                   (h.created_at + %(decision_days)s + interval '21 days')::date, {_staff()},
                   h.created_at + %(decision_days)s - interval '3 days'
            FROM bench_history h
            WHERE h.status IN ('open', 'pending_customer') AND h.r1 < 0.3
              AND h.created_at + %(decision_days)s - interval '3 days' < %(now)s
              AND h.id BETWEEN %(lo)s AND %(hi)s
            RETURNING id, ticket_id, recorded_by_id, created_at
        )
        INSERT INTO tickets_ticketevent ({EVENT_COLUMNS})
        SELECT 'delay_notice', '', '', '', '', jsonb_build_object('notice', id), false,
               created_at, recorded_by_id, ticket_id
        FROM noticed
        """,
    ),
]


def main(argv=None) -> None:
    args = parse_args(argv)
    import django

    django.setup()
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/seed_reports.py needs PostgreSQL (DATABASE_URL).")
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_message")
        if cursor.fetchone()[0] and not (args.resume or args.only):
            sys.exit("The tickets have messages already: seed with bench/seed.py --reset first.")
        cursor.execute("SET synchronous_commit = off")
        try:
            cursor.execute("SET session_replication_role = replica")
        except django.db.DatabaseError:
            sys.stderr.write("(not a superuser: foreign keys are checked row by row, slower)\n")
        cursor.execute("SELECT setseed(%s)", [args.seed])
        cursor.execute("SELECT now(), min(id), max(id) FROM tickets_ticket")
        now, first, last = cursor.fetchone()
        params = {
            "now": now,
            "appeal_window": timedelta(days=settings.REDRESS_APPEAL_WINDOW_DAYS),
            "accept_after": timedelta(days=settings.REDRESS_ACCEPT_AFTER_DAYS),
            "decision_days": timedelta(days=settings.REDRESS_FINAL_DECISION_DAYS),
            "warn_days": timedelta(days=settings.REDRESS_FINAL_DECISION_WARNING_DAYS),
            "rated": args.rated,
        }
        cursor.execute("DROP TABLE IF EXISTS bench_history")
        stamp = time.monotonic()
        cursor.execute(HISTORY, params)
        cursor.execute("ALTER TABLE bench_history ADD PRIMARY KEY (id)")
        print(f"history {time.monotonic() - stamp:.1f} s", file=sys.stderr)
        labels = [label for label, _sql in STEPS]
        for chosen in (args.resume, args.only):
            if chosen and chosen not in labels:
                sys.exit(f"--resume and --only take one of: {', '.join(labels)}")
        steps = STEPS[labels.index(args.resume) :] if args.resume else STEPS
        if args.only:
            steps = [STEPS[labels.index(args.only)]]
        for label, sql in steps:
            stamp = time.monotonic()
            for lo in range(first, last + 1, args.chunk):
                cursor.execute(sql, {**params, "lo": lo, "hi": lo + args.chunk - 1})
            print(f"{label:<24} {time.monotonic() - stamp:6.1f} s", file=sys.stderr)
        cursor.execute("DROP TABLE bench_history")
    with connection.cursor() as cursor:
        for table in (
            "tickets_ticket",
            "tickets_ticketevent",
            "tickets_message",
            "tickets_resolution",
            "escalation_appeal",
            "escalation_panel",
            "escalation_slarecord",
            "reports_rating",
            "tickets_delaynotice",
        ):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute(
            "SELECT kind, count(*) FROM tickets_ticketevent GROUP BY kind ORDER BY 2 DESC"
        )
        events = cursor.fetchall()
    print(f"seeded the history in {time.monotonic() - started:.1f} s; events by kind:")
    for kind, count in events:
        print(f"  {kind:<16} {count:>10,}")


if __name__ == "__main__":
    main()
