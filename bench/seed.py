"""Fill a PostgreSQL database with many realistic tickets, fast (set-based SQL, no ORM per row).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress_bench \
        uv run python bench/seed.py --tickets 1000000 --breached 10000 --reset

What it writes (the database must be migrated first):
- a few thousand customers (customer group, profile) and a few dozen staff (agents in teams,
  appeal officers, committee members), reused on later runs;
- N tickets filed over the last year, ids in filing order, spread over the seeded categories
  with each category's team and (mostly) default priority; most resolved or closed, a few
  percent still running (new/open) or waiting (pending customer, resolution proposed);
- the SLA columns as sla/clock.py would leave them: the tier's policy (the same
  PolicyBook.policy_for the app uses), first-reply and resolution deadlines from the clock
  start, pause credit for open cases that waited on the customer, `escalation_due_at` the
  earliest owed deadline, `sla_warning_at`/`sla_warned` from the policy's warning percent;
- exactly `--breached` running tickets overdue (support or appeal center, so each one
  escalates); no other deadline, warning or lifecycle step (auto-acceptance of a proposal,
  closing after the appeal window) falls due within `--margin-hours` of the seeding, so a
  benchmark run soon after finds exactly the overdue tickets to do;
- one `filed` audit event per ticket (and a `tier` event for tickets above support).

Only 24/7 policies are supported (the deadline arithmetic is done in SQL).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

# `python bench/<script>.py` puts bench/ first on the path, where a module named like one of
# the standard library's (bench/queue.py) would shadow it: import from the project root.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

# Relative filing volume per category code (deposits and withdrawals dominate exchange desks).
CATEGORY_WEIGHTS = {
    "deposit-not-credited": 18,
    "withdrawal-not-received": 16,
    "kyc": 12,
    "login-password": 10,
    "other": 8,
    "account-locked": 7,
    "spot-order": 6,
    "futures": 6,
    "fees": 5,
    "compromised-account": 4,
    "margin-liquidation": 3,
    "tp-sl": 3,
    "api": 2,
}
EVIDENCE_KIND = {
    "deposit-not-credited": "funding",
    "withdrawal-not-received": "funding",
    "compromised-account": "funding",
    "spot-order": "trade",
    "margin-liquidation": "trade",
    "futures": "trade",
    "tp-sl": "trade",
    "login-password": "device",
    "account-locked": "device",
}
SUBJECTS = {
    "deposit-not-credited": [
        "Deposit not credited after confirmations",
        "USDT deposit missing from balance",
        "Deposit shows completed on chain but not in my account",
    ],
    "withdrawal-not-received": [
        "Withdrawal stuck in processing",
        "Withdrawal marked complete but never arrived",
        "Funds left my balance, nothing at the destination",
    ],
    "compromised-account": [
        "Someone logged into my account",
        "Unauthorised withdrawal from my account",
        "My account was hacked, please freeze it",
    ],
    "login-password": [
        "Cannot sign in after password reset",
        "2FA code always rejected",
        "Lost my authenticator, cannot log in",
    ],
    "account-locked": [
        "Account frozen without explanation",
        "Withdrawals disabled on my account",
        "Account locked after login attempts",
    ],
    "kyc": [
        "Verification pending for weeks",
        "KYC rejected, documents are valid",
        "Need to correct my date of birth",
    ],
    "spot-order": [
        "Limit order filled at the wrong price",
        "Order cannot be cancelled",
        "Market order slipped far from the quote",
    ],
    "fees": [
        "Withdrawal fee higher than shown",
        "Charged a trading fee twice",
        "Unexpected fee on a deposit",
    ],
    "margin-liquidation": [
        "Liquidated before the mark price reached my level",
        "Margin call never received before liquidation",
        "Liquidation price differs from the one shown",
    ],
    "futures": [
        "Position force-liquidated during a price spike",
        "Close order ignored, position still open",
        "Funding fee settled wrongly",
    ],
    "tp-sl": [
        "Stop-loss did not trigger",
        "Take-profit skipped at my price",
        "Stop order executed far below trigger",
    ],
    "api": [
        "API returns 5xx on order placement",
        "Rate limit hit far below the documented limit",
        "WebSocket stream drops every few minutes",
    ],
    "other": [
        "Question about my account statement",
        "Referral bonus not paid",
        "Complaint about the support chat",
    ],
}
GENERIC_SUBJECTS = ["Problem with my account", "Please help", "Issue needs review"]
# A fourth subject per category, in Chinese: one case in four is written in Chinese (staff
# search finds its words through the help center's analyser, as character bigrams).
CHINESE_SUBJECTS = {
    "deposit-not-credited": "USDT 充值未到账",
    "withdrawal-not-received": "提现未到账，资金已扣除",
    "compromised-account": "账户被盗，请立即冻结账户",
    "login-password": "重置密码后无法登录",
    "account-locked": "账户被冻结，无法提现",
    "kyc": "身份认证审核超过一周",
    "spot-order": "限价单成交价格不对",
    "fees": "提现手续费比显示的高",
    "margin-liquidation": "杠杆仓位被提前强平",
    "futures": "合约仓位在插针时被强平",
    "tp-sl": "止损单没有触发",
    "api": "API 下单返回错误",
    "other": "对账单有疑问",
}
GENERIC_CHINESE_SUBJECT = "账户问题，请协助处理"
SENTENCES = [
    "I have attached screenshots of the transaction and my balance page.",
    "This happened yesterday evening and nothing has changed since.",
    "I contacted the live chat twice and was told to open a ticket.",
    "The amount is significant for me and I need it back as soon as possible.",
    "I double-checked the address and the network before sending.",
    "Please tell me what other information you need.",
    "The app showed no error at the time.",
    "I am a verified user and have traded here for three years.",
    "我已经附上交易记录和余额页面的截图。",
    "请告诉我还需要提供哪些信息。",
]
DEVICES = [
    "iPhone 15, App 2.81",
    "Pixel 8, App 2.80",
    "Windows 11, Chrome 124",
    "macOS 14, Safari 17",
    "Samsung S23, App 2.79",
    "Ubuntu 22.04, Firefox 125",
]
PAIRS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT", "DOGE/USDT", "ETH/BTC"]
# (percent, value): channels, and the status mix by age of the case (DESIGN.md lifecycle).
CHANNELS = [(70, "web"), (12, "api"), (10, "email"), (5, "phone"), (3, "social")]
STATUS_BY_AGE = [
    # Filed in the last three days: much still being worked on.
    (
        3,
        [
            (18, "new"),
            (37, "open"),
            (13, "pending_customer"),
            (8, "resolution_proposed"),
            (17, "resolved"),
            (7, "rejected"),
        ],
    ),
    # Up to a month: mostly resolved and inside the appeal window, so not closed yet.
    (
        30,
        [
            (14, "open"),
            (8, "pending_customer"),
            (6, "resolution_proposed"),
            (63, "resolved"),
            (9, "rejected"),
        ],
    ),
    # Older: a long tail of open disputes, the rest closed (a "closed" drawn for a case
    # younger than two appeal windows stays "resolved"; an old "rejected" one has closed).
    (
        None,
        [
            (0.8, "open"),
            (0.4, "pending_customer"),
            (0.2, "resolution_proposed"),
            (1, "resolved"),
            (7, "rejected"),
            (90.6, "closed"),
        ],
    ),
]
OPEN = ("new", "open", "pending_customer", "resolution_proposed")
TIERS_ABOVE_NEW = [(82, "support"), (14, "appeal_center"), (4, "dispute_committee")]
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# A bijection on 0..31^8-1 (the multiplier is prime to 31), so references are unique and
# do not look sequential, without a uniqueness retry per row.
REFERENCE_SPACE = len(REFERENCE_ALPHABET) ** 8
REFERENCE_MULTIPLIER = 2_654_435_761
REFERENCE_OFFSET = 104_729


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--breached", type=int, default=10_000, help="overdue running tickets")
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--staff", type=int, default=40)
    parser.add_argument("--chunk", type=int, default=50_000, help="tickets per INSERT")
    parser.add_argument(
        "--margin-hours",
        type=float,
        default=6.0,
        help="no other deadline falls due within this long of the seeding",
    )
    parser.add_argument(
        "--backlog",
        type=float,
        default=0.0,
        help="percent of the cases older than a month still open instead of closed (an "
        "incident's backlog): at 1M tickets about 16,500 running cases can be overdue without "
        "it; --backlog 5 allows 50,000",
    )
    parser.add_argument("--seed", type=float, default=0.42, help="setseed() value, -1..1")
    parser.add_argument("--no-events", action="store_true", help="skip the audit events")
    parser.add_argument(
        "--reset", action="store_true", help="TRUNCATE tickets_ticket CASCADE first"
    )
    return parser.parse_args(argv)


class Progress:
    """One self-overwriting line on stderr."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.started = label, total, time.monotonic()

    def update(self, done: int) -> None:
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed else 0.0
        width = 30
        filled = int(width * done / self.total) if self.total else width
        sys.stderr.write(
            f"\r{self.label:<10} [{'#' * filled}{'.' * (width - filled)}] "
            f"{done:>10,}/{self.total:,} {elapsed:6.1f} s {rate:9,.0f}/s"
        )
        sys.stderr.flush()

    def done(self) -> None:
        self.update(self.total)
        sys.stderr.write("\n")


def step(label: str):
    """Print a step's name, then its duration when the block ends."""

    class _Step:
        def __enter__(self):
            sys.stderr.write(f"{label} ...")
            sys.stderr.flush()
            self.started = time.monotonic()

        def __exit__(self, *exc):
            sys.stderr.write(f" {time.monotonic() - self.started:.1f} s\n")

    return _Step()


def slots(mix: list[tuple[float, str]]) -> str:
    """A SQL CASE over a uniform random `u` that picks each value with its share."""
    total = sum(share for share, _ in mix)
    cumulative, arms = 0.0, []
    for share, value in mix[:-1]:
        cumulative += share / total
        arms.append(f"WHEN u < {cumulative:.6f} THEN '{value}'")
    return f"CASE {' '.join(arms)} ELSE '{mix[-1][1]}' END"


def status_case(backlog: float = 0.0) -> str:
    """The status by age; `backlog` percent of the older cases move from closed to open."""
    arms = []
    for max_age, mix in STATUS_BY_AGE:
        if max_age is None and backlog:
            shares = dict((value, share) for share, value in mix)
            shares["open"] += backlog
            shares["closed"] -= backlog
            mix = [(share, value) for value, share in shares.items()]
        case = slots(mix).replace("u <", "r_status <")
        arms.append(f"WHEN age_days < {max_age} THEN {case}" if max_age else f"ELSE {case}")
    return f"CASE {' '.join(arms)} END"


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit(f"bench/seed.py needs PostgreSQL (DATABASE_URL), not {connection.vendor}.")
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        skip_foreign_key_triggers(cursor)
        cursor.execute("SELECT setseed(%s)", [args.seed])
        if args.reset:
            with step("truncate tickets"):
                cursor.execute("TRUNCATE tickets_ticket RESTART IDENTITY CASCADE")
        with step("users"):
            staff = seed_users(args.customers, args.staff, args.seed)
        lookups = load_lookups(cursor)
        lookups.update(staff)
        cursor.execute("SELECT now(), coalesce(max(id), 0) FROM tickets_ticket")
        now, last_id = cursor.fetchone()
        insert_tickets(cursor, args, lookups, now)
        running, breached = shape_running(cursor, args, lookups, now, last_id)
        if not args.no_events:
            with step("events"):
                insert_events(cursor, last_id)
        with step("search documents' open flag"):
            # The trigger that keeps it (tickets migration 0013) is off in this session
            # (session_replication_role), and shaping the running cases changed statuses.
            cursor.execute(
                "UPDATE tickets_ticketsearch s SET is_open = t.status IN %s "
                "FROM tickets_ticket t WHERE t.id = s.ticket_id AND t.id > %s "
                "AND s.is_open IS DISTINCT FROM (t.status IN %s)",
                [OPEN, last_id, OPEN],
            )
        with step("open cases' search terms"):
            # Kept by a trigger on the documents (tickets migration 0014), off here too.
            cursor.execute(
                "INSERT INTO tickets_ticketterm (lexeme, ticket_id) "
                "SELECT DISTINCT unnest(tsvector_to_array(vector)), ticket_id "
                "FROM tickets_ticketsearch WHERE is_open AND ticket_id > %s "
                "ON CONFLICT DO NOTHING",
                [last_id],
            )
    with step("vacuum analyze"), connection.cursor() as cursor:
        for table in (
            "accounts_user",
            "accounts_user_groups",
            "accounts_customerprofile",
            "tickets_ticket",
            "tickets_ticketevent",
            "tickets_ticketsearch",
            "tickets_ticketterm",
        ):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    with step("check against sla.clock"):
        check_running(now, timedelta(hours=args.margin_hours))
    print_summary(now, running, breached, time.monotonic() - started)


def skip_foreign_key_triggers(cursor) -> None:
    """Skip the deferred foreign-key triggers (8 per ticket) for this session only.

    Every id the seed writes is read from the referenced tables, so the checks could not
    fail; skipping them halves the load time. Needs a superuser; without one, they run.
    """
    from django.db import DatabaseError

    try:
        cursor.execute("SET session_replication_role = replica")
    except DatabaseError:
        sys.stderr.write("(not a superuser: foreign keys are checked row by row, slower)\n")


def seed_users(customers: int, staff: int, seed: float) -> dict:
    """Bench customers and staff, through the ORM (a few thousand rows; found again by e-mail)."""
    import random

    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from accounts import roles
    from accounts.models import CustomerProfile, Team, User

    rng = random.Random(seed)
    appeals = max(2, staff * 15 // 100)
    committee = max(3, staff * 15 // 100)
    people = [("customer", roles.CUSTOMER, customers, False)]
    people += [
        ("agent", roles.AGENT, max(1, staff - appeals - committee), True),
        ("appeals", roles.APPEAL_OFFICER, appeals, True),
        ("committee", roles.COMMITTEE, committee, True),
    ]
    existing = set(User.objects.filter(email__startswith="bench-").values_list("email", flat=True))
    unusable = make_password(None)
    users = [
        User(
            email=f"bench-{prefix}-{n:06d}@example.com",
            full_name=f"Bench {prefix.title()} {n}",
            password=unusable,
            is_staff=is_staff,
        )
        for prefix, _group, count, is_staff in people
        for n in range(1, count + 1)
        if f"bench-{prefix}-{n:06d}@example.com" not in existing
    ]
    User.objects.bulk_create(users, batch_size=2000)

    def ids(prefix: str) -> list[int]:
        return list(
            User.objects.filter(email__startswith=f"bench-{prefix}-")
            .order_by("id")
            .values_list("id", flat=True)
        )

    by_role = {prefix: ids(prefix) for prefix, *_ in people}
    groups = {group.name: group.pk for group in Group.objects.all()}
    User.groups.through.objects.bulk_create(
        [
            User.groups.through(user_id=user_id, group_id=groups[group])
            for prefix, group, _count, _staff in people
            for user_id in by_role[prefix]
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    CustomerProfile.objects.bulk_create(
        [
            CustomerProfile(
                user_id=user_id,
                exchange_uid=str(38_000_000 + user_id),
                preferred_language="zh-hans" if rng.random() < 0.35 else "en",
            )
            for user_id in by_role["customer"]
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    # Agents work in one team each, every third one in a second team as well.
    teams = list(Team.objects.order_by("id").values_list("id", flat=True))
    memberships = set()
    for n, user_id in enumerate(by_role["agent"]):
        memberships.add((teams[n % len(teams)], user_id))
        if n % 3 == 0:
            memberships.add((teams[(n + 1) % len(teams)], user_id))
    Team.members.through.objects.bulk_create(
        [Team.members.through(team_id=team, user_id=user) for team, user in sorted(memberships)],
        ignore_conflicts=True,
    )
    agents = set(by_role["agent"])
    memberships = {
        (team, user)
        for team, user in Team.members.through.objects.values_list("team_id", "user_id")
        if user in agents
    }
    flat, offsets, counts = [], [], []
    for team in teams:
        members = sorted(user for team_id, user in memberships if team_id == team)
        offsets.append(len(flat))
        counts.append(len(members))
        flat += members
    return {
        "customer_ids": by_role["customer"],
        "agent_ids": by_role["agent"],
        "appeal_ids": by_role["appeals"],
        "committee_ids": by_role["committee"],
        "team_ids": teams,
        "team_agent_flat": flat,
        "team_agent_offset": offsets,
        "team_agent_count": counts,
    }


def load_lookups(cursor) -> dict:
    """Categories, the policy for every (tier, category, priority), evidence value pools."""
    from sla.clock import PolicyBook
    from tickets.models import Category, Network, Priority, Tier

    book = PolicyBook.load()
    cursor.execute("DROP TABLE IF EXISTS bench_policy")
    cursor.execute(
        """
        CREATE TEMP TABLE bench_policy (
            tier text, category_id bigint, priority text, policy_id bigint,
            first_s interval, next_s interval, res_s interval, warn int,
            PRIMARY KEY (tier, category_id, priority))
        """
    )
    categories = list(Category.objects.order_by("id"))
    rows = []
    for tier in Tier.values:
        for category in categories:
            for priority in Priority.values:
                policy = book.policy_for(tier, category.pk, priority)
                if not book.calendar(policy).is_24_7:
                    sys.exit(f"Policy {policy} uses a business calendar: seed.py does only 24/7.")
                rows.append(
                    (
                        tier,
                        category.pk,
                        priority,
                        policy.pk,
                        policy.first_response_target,
                        policy.next_response_target,
                        policy.resolution_target,
                        policy.warning_percent,
                    )
                )
    cursor.executemany("INSERT INTO bench_policy VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)
    cursor.execute("ANALYZE bench_policy")

    # 1000 slots so that each category appears in proportion to its weight.
    weights = [CATEGORY_WEIGHTS.get(c.code, 3) for c in categories]
    total = sum(weights)
    category_slots = []
    for index, weight in enumerate(weights, start=1):
        category_slots += [index] * max(1, round(1000 * weight / total))
    pairs = [
        (asset.pk, network.pk, network.family)
        for network in Network.objects.filter(is_active=True).prefetch_related("assets")
        for asset in network.assets.all()
    ]
    return {
        "category_ids": [c.pk for c in categories],
        "category_teams": [c.team_id for c in categories],
        "category_priorities": [c.default_priority for c in categories],
        "category_kinds": [EVIDENCE_KIND.get(c.code, "other") for c in categories],
        "category_slots": category_slots,
        "subjects": [
            [
                *SUBJECTS.get(c.code, GENERIC_SUBJECTS),
                CHINESE_SUBJECTS.get(c.code, GENERIC_CHINESE_SUBJECT),
            ]
            for c in categories
        ],
        "pair_assets": [p[0] for p in pairs] or [None],
        "pair_networks": [p[1] for p in pairs] or [None],
        "pair_families": [p[2] for p in pairs] or ["evm"],
        "sentences": SENTENCES,
        "devices": DEVICES,
        "trading_pairs": PAIRS,
    }


TICKET_INSERT = """
WITH base AS (
    -- Every random draw happens here, once per row. Each step below is MATERIALIZED:
    -- inlined, every later mention of a derived column would recompute its whole chain.
    SELECT g,
           %(t0)s::timestamptz + (g - %(origin)s + random()) * %(step)s::interval AS created_at,
           (%(category_slots)s::int[])[1 + floor(random() * %(n_category_slots)s)::int] AS ci,
           random() AS r_status, random() AS r_tier, random() AS r_prio, random() AS r_prio2,
           random() AS r_customer, random() AS u, random() AS r_assign, random() AS r_staff,
           random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
           random() AS r6, random() AS r7, random() AS r8, random() AS r9, random() AS r10
    FROM generate_series(%(first)s, %(last)s) AS g
), shaped AS MATERIALIZED (
    SELECT b.*,
           (%(category_ids)s::bigint[])[ci] AS category_id,
           (%(category_teams)s::bigint[])[ci] AS team_id,
           (%(category_kinds)s::text[])[ci] AS kind,
           CASE WHEN r_prio < 0.75 THEN (%(category_priorities)s::text[])[ci]
                ELSE (ARRAY['low', 'normal', 'normal', 'high', 'high', 'urgent'])
                     [1 + floor(r_prio2 * 6)::int] END AS priority,
           {channel} AS channel,
           extract(epoch FROM %(now)s::timestamptz - created_at) / 86400.0 AS age_days,
           1 + mod(floor(r6 * 1000000)::int, %(n_pairs)s) AS pair
    FROM base b
), staged AS MATERIALIZED (
    SELECT s.*,
           -- A case closes when the appeal window after its resolution or rejection ends.
           CASE WHEN raw_status = 'closed' AND age_days < %(closable_days)s THEN 'resolved'
                WHEN raw_status = 'rejected' AND age_days >= %(closable_days)s THEN 'closed'
                ELSE raw_status END AS status,
           raw_status = 'rejected' AS was_rejected
    FROM (SELECT shaped.*, {status} AS raw_status FROM shaped) s
), tiered AS MATERIALIZED (
    SELECT st.*,
           CASE WHEN status = 'new' THEN 'support'
                ELSE {tier} END AS tier
    FROM (SELECT staged.*, r_tier AS u2 FROM staged) st
), clocked AS MATERIALIZED (
    SELECT t.*, p.policy_id, p.first_s, p.next_s, p.res_s,
           CASE WHEN t.tier = 'support' THEN t.created_at
                -- Escalated some time after filing: the clock restarted at the new tier.
                ELSE t.created_at + least(%(now)s::timestamptz - t.created_at, interval '30 days')
                                    * (0.1 + 0.5 * r1)
           END AS sla_started_at
    FROM tiered t
    JOIN bench_policy p
      ON p.tier = t.tier AND p.category_id = t.category_id AND p.priority = t.priority
), replied AS MATERIALIZED (
    SELECT c.*,
           CASE WHEN status = 'new' OR (status = 'open' AND r2 >= 0.75) THEN NULL
                ELSE sla_started_at
                     + least(first_s, %(now)s::timestamptz - sla_started_at) * (0.05 + 0.9 * r3)
           END AS first_responded_at
    FROM clocked c
), answered AS MATERIALIZED (
    -- When the desk last answered: a proposal (the customer has `accept_after` to reply),
    -- a resolution or a rejection (then `appeal_window` to appeal, and the case closes).
    -- Those still waiting were answered recently enough that nothing is due yet.
    SELECT r.*,
           CASE WHEN status = 'open' AND first_responded_at IS NOT NULL AND r4 < 0.35
                THEN first_responded_at + (%(now)s::timestamptz - first_responded_at) * r5
           END AS next_response_started_at,
           CASE WHEN status = 'resolution_proposed' THEN
                    lower_accept + (%(now)s::timestamptz - lower_accept) * r5
                WHEN status IN ('resolved', 'rejected') THEN
                    lower_window + (%(now)s::timestamptz - lower_window) * r5
                WHEN status = 'closed' THEN
                    first_responded_at + (least(sla_started_at + res_s,
                                                %(now)s::timestamptz - %(appeal_window)s
                                                - interval '1 day')
                                          - first_responded_at) * r5
           END AS answered_at
    FROM (
        SELECT replied.*,
               greatest(first_responded_at, %(now)s::timestamptz - %(appeal_window)s
                                            + %(margin)s) AS lower_window,
               greatest(first_responded_at, %(now)s::timestamptz - %(accept_after)s
                                            + %(margin)s) AS lower_accept
        FROM replied
    ) r
), timed AS MATERIALIZED (
    SELECT a.*,
           CASE WHEN status = 'resolved' OR (status = 'closed' AND NOT was_rejected)
                THEN answered_at END AS resolved_at,
           CASE WHEN status = 'closed'
                THEN answered_at + %(appeal_window)s + r4 * interval '1 minute' END AS closed_at,
           CASE WHEN status = 'resolution_proposed' THEN answered_at + %(accept_after)s
                WHEN status IN ('resolved', 'rejected') THEN answered_at + %(appeal_window)s
           END AS lifecycle_due_at
    FROM answered a
)
INSERT INTO tickets_ticket ({columns})
SELECT ticket.*{extra_values}
FROM (
SELECT
    {reference} AS reference,
    channel,
    (%(subjects)s::text[])[ci][1 + floor(r7 * 4)::int] AS subject,
    (%(sentences)s::text[])[1 + floor(r8 * %(n_sentences)s)::int] || ' '
        || (%(sentences)s::text[])[1 + floor(r9 * %(n_sentences)s)::int] AS description,
    status, tier, priority,
    CASE WHEN kind <> 'other' OR r3 < 0.5 THEN created_at - r4 * interval '2 days' END,
    CASE WHEN kind IN ('funding', 'trade')
         THEN round((power(10, r6 * 4.5))::numeric, 2) END,
    CASE WHEN kind = 'trade' OR (kind = 'funding' AND r7 < 0.3)
         THEN (1700000000000 + floor(r8 * 99999999999)::bigint)::text ELSE '' END AS order_id,
    CASE WHEN kind = 'funding' AND (ci <> %(withdrawal_ci)s OR r9 < 0.7) THEN
         CASE WHEN (%(pair_families)s::text[])[pair] = 'evm' THEN '0x' ELSE '' END
         || md5(g::text || 'tx') || md5(g::text || 'id')
         ELSE '' END AS txid,
    CASE WHEN kind = 'funding' THEN
         CASE (%(pair_families)s::text[])[pair]
              WHEN 'evm' THEN '0x' || left(md5(g::text || 'wa') || md5(g::text), 40)
              WHEN 'bitcoin' THEN 'bc1q' || left(md5(g::text || 'wa') || md5(g::text), 38)
              WHEN 'tron' THEN 'T' || left(upper(md5(g::text || 'wa')) || md5(g::text), 33)
              ELSE left(md5(g::text || 'wa') || md5(g::text), 34) END
         ELSE '' END AS wallet_address,
    CASE WHEN kind = 'trade'
         THEN (%(trading_pairs)s::text[])[1 + floor(r9 * %(n_trading_pairs)s)::int]
         ELSE '' END,
    CASE WHEN kind = 'device' OR r5 < 0.2
         THEN (%(devices)s::text[])[1 + floor(r6 * %(n_devices)s)::int] ELSE '' END,
    created_at,
    greatest(created_at, sla_started_at, first_responded_at, next_response_started_at,
             answered_at, closed_at),
    sla_started_at + first_s,
    next_response_started_at + next_s,
    sla_started_at + res_s,
    first_responded_at,
    resolved_at,
    closed_at,
    CASE WHEN kind = 'funding' THEN (%(pair_assets)s::bigint[])[pair] END,
    CASE WHEN status = 'new' OR r_assign < 0.15 THEN NULL
         WHEN tier = 'support' THEN (%(team_agent_flat)s::bigint[])[
              (%(team_agent_offset)s::int[])[array_position(%(team_ids)s::bigint[], team_id)]
              + 1 + floor(r_staff * (%(team_agent_count)s::int[])[
                    array_position(%(team_ids)s::bigint[], team_id)])::int]
         WHEN tier = 'appeal_center'
         THEN (%(appeal_ids)s::bigint[])[1 + floor(r_staff * %(n_appeal)s)::int]
         ELSE (%(committee_ids)s::bigint[])[1 + floor(r_staff * %(n_committee)s)::int] END,
    category_id,
    -- A skewed draw: some customers file many cases, most file a few.
    (%(customer_ids)s::bigint[])[1 + floor(power(r_customer, 1.6) * %(n_customers)s)::int],
    CASE WHEN channel IN ('phone', 'social')
         THEN (%(agent_ids)s::bigint[])[1 + floor(r_staff * %(n_agents)s)::int]
         ELSE (%(customer_ids)s::bigint[])[1 + floor(power(r_customer, 1.6) * %(n_customers)s)::int]
    END,
    CASE WHEN kind = 'funding' THEN (%(pair_networks)s::bigint[])[pair] END,
    team_id,
    NULL::timestamptz,
    next_response_started_at,
    '[]'::jsonb,
    CASE WHEN status = 'pending_customer'
         THEN first_responded_at + (%(now)s::timestamptz - first_responded_at) * r5 END,
    policy_id,
    sla_started_at,
    '[]'::jsonb,
    NULL::timestamptz,
    -- Some cases above support got there by missing a deadline at the tier below.
    CASE WHEN tier <> 'support' AND r10 < 0.4 THEN sla_started_at END,
    lifecycle_due_at
FROM timed
) ticket
"""
TICKET_COLUMNS = [
    "reference", "channel", "subject", "description", "status", "tier", "priority",
    "occurred_at", "amount", "order_id", "txid", "wallet_address", "trading_pair", "device",
    "created_at", "updated_at",
    "first_response_due_at", "next_response_due_at", "resolution_due_at", "first_responded_at",
    "resolved_at", "closed_at", "asset_id", "assignee_id", "category_id", "customer_id",
    "filed_by_id", "network_id", "team_id", "escalation_due_at", "next_response_started_at",
    "sla_breached", "sla_paused_at", "sla_policy_id", "sla_started_at", "sla_warned",
    "sla_warning_at", "last_breach_at", "lifecycle_due_at",
]  # fmt: skip

# The document of tickets/search.py, for the tickets of one chunk (new: no messages yet).
# Subjects and descriptions come from the short lists above, so their analysed vectors
# (helpcenter.analysis, the same function the application uses) are computed once in
# Python and joined in; the identifiers are split in SQL the way the analyser splits
# them: whole, and by their runs of letters and digits.
SEARCH_INSERT = """
INSERT INTO tickets_ticketsearch (ticket_id, vector, is_open)
SELECT t.id,
       setweight(array_to_tsvector(array_remove(
           ARRAY[lower(t.reference), lower(t.txid), lower(t.order_id), lower(t.wallet_address),
                 lower(u.email), lower(coalesce(p.exchange_uid, ''))]
           || regexp_split_to_array(lower(t.reference || ' ' || u.email || ' ' || u.full_name),
                                    '[^a-z0-9]+'), '')), 'A')
       || s.vector || d.vector,
       t.status IN ('new', 'open', 'pending_customer', 'resolution_proposed')
FROM tickets_ticket t
JOIN accounts_user u ON u.id = t.customer_id
LEFT JOIN accounts_customerprofile p ON p.user_id = u.id
JOIN unnest(%(subject_texts)s::text[], %(subject_vectors)s::tsvector[]) AS s(text, vector)
  ON s.text = t.subject
JOIN unnest(%(description_texts)s::text[], %(description_vectors)s::tsvector[]) AS d(text, vector)
  ON d.text = t.description
WHERE t.id > %(after)s
"""


def search_lookups(lookups: dict) -> dict:
    """Each seeded subject and description with its analysed tsvector."""
    from helpcenter.analysis import tsvector

    subjects = sorted({subject for row in lookups["subjects"] for subject in row})
    descriptions = sorted({f"{a} {b}" for a in lookups["sentences"] for b in lookups["sentences"]})
    return {
        "subject_texts": subjects,
        "subject_vectors": [tsvector([(text, "A")]) for text in subjects],
        "description_texts": descriptions,
        "description_vectors": [tsvector([(text, "B")]) for text in descriptions],
    }


def reference_sql() -> str:
    """RD-XXXX-XXXX from a bijective scramble of the row number."""
    scrambled = (
        f"mod(g::bigint * {REFERENCE_MULTIPLIER} + {REFERENCE_OFFSET}, {REFERENCE_SPACE}::bigint)"
    )
    chars = [
        f"substr('{REFERENCE_ALPHABET}', "
        f"(mod({scrambled} / {len(REFERENCE_ALPHABET) ** k}::bigint, 31) + 1)::int, 1)"
        for k in range(7, -1, -1)
    ]
    return f"'RD-' || {' || '.join(chars[:4])} || '-' || {' || '.join(chars[4:])}"


def insert_tickets(cursor, args: argparse.Namespace, lookups: dict, now) -> None:
    from django.conf import settings

    cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_ticket")
    first = cursor.fetchone()[0] + 1
    year = timedelta(days=365)
    extra_columns, extra_params = model_defaults("tickets.Ticket", TICKET_COLUMNS)
    sql = TICKET_INSERT.format(
        channel=slots(CHANNELS),
        status=status_case(args.backlog),
        tier=slots(TIERS_ABOVE_NEW).replace("u <", "u2 <"),
        reference=reference_sql(),
        columns=", ".join(TICKET_COLUMNS + extra_columns),
        extra_values="".join(f", %({name})s" for name in extra_params),
    )
    params = {
        **lookups,
        **extra_params,
        "n_category_slots": len(lookups["category_slots"]),
        "n_pairs": len(lookups["pair_assets"]),
        "n_sentences": len(lookups["sentences"]),
        "n_devices": len(lookups["devices"]),
        "n_trading_pairs": len(lookups["trading_pairs"]),
        "n_customers": len(lookups["customer_ids"]),
        "n_agents": len(lookups["agent_ids"]),
        "n_appeal": len(lookups["appeal_ids"]),
        "n_committee": len(lookups["committee_ids"]),
        "withdrawal_ci": _category_index(lookups, "withdrawal-not-received"),
        "now": now,
        "t0": now - year,
        # Filing times climb with the id; the last case was filed about ten minutes ago.
        "step": (year - timedelta(minutes=10)) / max(args.tickets, 1),
        "appeal_window": timedelta(days=settings.REDRESS_APPEAL_WINDOW_DAYS),
        "accept_after": timedelta(days=settings.REDRESS_ACCEPT_AFTER_DAYS),
        # Old enough for a reply (a higher tier starts up to 18 days after filing, and
        # replies within 3), a resolution and its whole appeal window to fit before now.
        "closable_days": settings.REDRESS_APPEAL_WINDOW_DAYS + 25,
        "margin": timedelta(hours=args.margin_hours),
        "origin": first,
    }
    search_params = search_lookups(lookups)
    progress = Progress("tickets", args.tickets)
    done = 0
    while done < args.tickets:
        size = min(args.chunk, args.tickets - done)
        cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_ticket")
        before = cursor.fetchone()[0]
        cursor.execute(
            sql,
            {**params, "first": first + done, "last": first + done + size - 1},
        )
        cursor.execute(SEARCH_INSERT, {**search_params, "after": before})
        done += size
        progress.update(done)
    progress.done()


def model_defaults(label: str, written: list[str]) -> tuple[list[str], dict]:
    """Columns the seed does not write itself, with their model defaults as parameters.

    Keeps the raw INSERTs working when a field with a default is added to the model; a new
    NOT NULL column without a default stops the seed with a message instead.
    """
    from django.apps import apps
    from django.db import connection

    columns, params = [], {}
    for field in apps.get_model(label)._meta.concrete_fields:
        if field.primary_key or field.column in written:
            continue
        if field.has_default():
            name = f"default_{field.column}"
            columns.append(field.column)
            params[name] = field.get_db_prep_save(field.get_default(), connection)
        elif not field.null:
            sys.exit(f"bench/seed.py does not fill {label}.{field.name}: add it to the seed.")
    return columns, params


def _category_index(lookups: dict, code: str) -> int:
    from tickets.models import Category

    ids = lookups["category_ids"]
    found = Category.objects.filter(code=code).values_list("id", flat=True).first()
    return ids.index(found) + 1 if found in ids else 0


OWED_MIN = """least(CASE WHEN first_responded_at IS NULL THEN first_response_due_at END,
                    next_response_due_at, resolution_due_at)"""


def shape_running(cursor, args, lookups: dict, now, last_id: int) -> tuple[int, int]:
    """Make exactly `breached` running tickets overdue and every other one due later.

    Running tickets come out of the insert with their deadlines counted from the clock start
    alone. Open ones may have waited on the customer: the pause credit (clock.resume) moves
    their deadlines back, which is how an old open dispute can still be on time.
    """
    margin = timedelta(hours=args.margin_hours)
    with step("breached"):
        cursor.execute("DROP TABLE IF EXISTS bench_breached")
        # Only support and appeal-center cases: a committee breach alerts, it does not escalate.
        cursor.execute(
            f"""
            CREATE TEMP TABLE bench_breached AS
            SELECT id FROM tickets_ticket
            WHERE id > %(last_id)s AND status IN ('new', 'open')
              AND tier IN ('support', 'appeal_center')
              AND {OWED_MIN} <= %(now)s::timestamptz - interval '1 minute'
            ORDER BY random() LIMIT %(breached)s
            """,
            {"last_id": last_id, "now": now, "breached": args.breached},
        )
        cursor.execute("SELECT count(*) FROM bench_breached")
        chosen = cursor.fetchone()[0]
        if chosen < args.breached:
            sys.exit(
                f"\nOnly {chosen:,} running tickets can be overdue; "
                "lower --breached or raise --tickets."
            )
        cursor.execute("ALTER TABLE bench_breached ADD PRIMARY KEY (id)")
        # A new case cannot be paused; one about to be late that is not chosen was answered.
        cursor.execute(
            f"""
            UPDATE tickets_ticket t
            SET status = 'open',
                first_responded_at = t.sla_started_at + (t.first_response_due_at
                                     - t.sla_started_at) * (0.1 + 0.8 * random()),
                assignee_id = (%(team_agent_flat)s::bigint[])[
                    (%(team_agent_offset)s::int[])[
                        array_position(%(team_ids)s::bigint[], t.team_id)]
                    + 1 + floor(random() * (%(team_agent_count)s::int[])[
                        array_position(%(team_ids)s::bigint[], t.team_id)])::int]
            WHERE t.id > %(last_id)s AND t.status = 'new'
              AND {OWED_MIN} <= %(now)s::timestamptz + %(margin)s::interval
              AND NOT EXISTS (SELECT 1 FROM bench_breached b WHERE b.id = t.id)
            """,
            {**lookups, "last_id": last_id, "now": now, "margin": margin},
        )
        cursor.execute(
            f"""
            UPDATE tickets_ticket t
            SET first_response_due_at = t.first_response_due_at + c.credit,
                next_response_due_at = t.next_response_due_at + c.credit,
                resolution_due_at = t.resolution_due_at + c.credit
            FROM (
                SELECT x.id, CASE
                    WHEN b.id IS NOT NULL
                    -- Overdue by up to six hours: the sweep was down, or a beat was missed.
                    THEN greatest(interval '0',
                                  %(now)s::timestamptz - random() * interval '6 hours'
                                  - x.owed_min)
                    WHEN x.owed_min < %(now)s::timestamptz + %(margin)s::interval
                    THEN %(now)s::timestamptz + %(margin)s::interval
                         + random() * interval '4 days' - x.owed_min
                    ELSE interval '0'
                    END AS credit
                FROM (SELECT id, {OWED_MIN} AS owed_min FROM tickets_ticket
                      WHERE id > %(last_id)s AND status = 'open') x
                LEFT JOIN bench_breached b ON b.id = x.id
            ) c
            WHERE t.id = c.id AND c.credit > interval '0'
            """,
            {"last_id": last_id, "now": now, "margin": margin},
        )

    def warn_after(started: str, due: str, target: str) -> str:
        # sla.warning_at with the target: the percent of the span, or later by the pause
        # credited to it (the span beyond the target).
        return (
            f"greatest(({due} - {started}) * p.warning_percent / 100, "
            f"({due} - {started}) - p.{target} * (100 - p.warning_percent) / 100)"
        )

    with step("sla columns"):
        # clock.refresh: the earliest owed deadline, warnings at the policy's percent of each.
        # A warning passed by now was sent; so was one due within the margin (a little
        # early), so that only the chosen overdue tickets are due while a benchmark runs.
        cursor.execute(
            f"""
            UPDATE tickets_ticket t
            SET escalation_due_at = w.owed_min,
                sla_warned = to_jsonb(array_remove(ARRAY[
                    CASE WHEN w.warn_first <= %(soon)s THEN 'first_response' END,
                    CASE WHEN w.warn_next <= %(soon)s THEN 'next_response' END,
                    CASE WHEN w.warn_resolution <= %(soon)s THEN 'resolution' END], NULL)),
                sla_warning_at = least(
                    CASE WHEN w.warn_first > %(soon)s THEN w.warn_first END,
                    CASE WHEN w.warn_next > %(soon)s THEN w.warn_next END,
                    CASE WHEN w.warn_resolution > %(soon)s THEN w.warn_resolution END),
                updated_at = greatest(t.updated_at, t.first_responded_at)
            FROM (
                SELECT r.id, {OWED_MIN} AS owed_min,
                       CASE WHEN first_responded_at IS NULL
                             AND first_response_due_at > sla_started_at
                            THEN sla_started_at + {
                warn_after("sla_started_at", "first_response_due_at", "first_response_target")
            }
                       END AS warn_first,
                       CASE WHEN next_response_due_at > next_response_started_at
                            THEN next_response_started_at
                                 + {
                warn_after(
                    "next_response_started_at", "next_response_due_at", "next_response_target"
                )
            }
                       END AS warn_next,
                       CASE WHEN resolution_due_at > sla_started_at
                            THEN sla_started_at + {
                warn_after("sla_started_at", "resolution_due_at", "resolution_target")
            }
                       END AS warn_resolution
                FROM tickets_ticket r JOIN escalation_slapolicy p ON p.id = r.sla_policy_id
                WHERE r.id > %(last_id)s AND r.status IN ('new', 'open')
            ) w
            WHERE t.id = w.id
            """,
            {"last_id": last_id, "soon": now + margin},
        )
        cursor.execute(
            "SELECT count(*) FROM tickets_ticket WHERE id > %s AND status IN ('new', 'open')",
            [last_id],
        )
        running = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM tickets_ticket WHERE escalation_due_at <= %s", [now])
        overdue = cursor.fetchone()[0]
    return running, overdue


EVENT_COLUMNS = [
    "kind", "from_status", "to_status", "from_tier", "to_tier", "data", "internal",
    "created_at", "actor_id", "ticket_id",
]  # fmt: skip


def insert_events(cursor, last_id: int) -> None:
    """A `filed` event per ticket, and a `tier` event for each one above support."""
    extra_columns, extra_params = model_defaults("tickets.TicketEvent", EVENT_COLUMNS)
    columns = ", ".join(EVENT_COLUMNS + extra_columns)
    extra_values = "".join(f", %({name})s" for name in extra_params)
    cursor.execute(
        f"""
        INSERT INTO tickets_ticketevent ({columns})
        SELECT 'filed', '', 'new', '', 'support',
               jsonb_build_object('channel', t.channel, 'category', c.code,
                                  'priority', t.priority),
               false, t.created_at, t.filed_by_id, t.id {extra_values}
        FROM tickets_ticket t JOIN tickets_category c ON c.id = t.category_id
        WHERE t.id > %(last_id)s
        ORDER BY t.id
        """,
        {"last_id": last_id, **extra_params},
    )
    cursor.execute(
        f"""
        INSERT INTO tickets_ticketevent ({columns})
        SELECT 'tier', '', '', CASE t.tier WHEN 'appeal_center' THEN 'support'
                                           ELSE 'appeal_center' END,
               t.tier,
               jsonb_build_object('reason', CASE WHEN t.last_breach_at IS NULL
                                                 THEN 'appeal' ELSE 'sla_breach' END),
               false, t.sla_started_at, NULL, t.id {extra_values}
        FROM tickets_ticket t
        WHERE t.id > %(last_id)s AND t.tier <> 'support'
        ORDER BY t.sla_started_at
        """,
        {"last_id": last_id, **extra_params},
    )


def check_running(now, margin: timedelta) -> None:
    """Every running ticket's sweep columns are what clock.refresh computes from its deadlines.

    Also: no warning falls due within the margin (those are in sla_warned), no lifecycle
    step is due, and every overdue ticket has a breached target at a tier that can escalate.
    """
    from sla import clock
    from tickets.models import CLOCK_RUNNING, Ticket
    from tickets.transitions import next_tier

    book = clock.PolicyBook.load()
    problems = []
    for ticket in Ticket.objects.filter(status__in=CLOCK_RUNNING).iterator(chunk_size=5000):
        seeded = (ticket.escalation_due_at, ticket.sla_warning_at)
        policy = book.policy_for(ticket.tier, ticket.category_id, ticket.priority)
        clock.refresh(ticket, book)
        if seeded != (ticket.escalation_due_at, ticket.sla_warning_at):
            problems.append(f"{ticket.reference}: sweep columns {seeded}")
        elif ticket.sla_policy_id != policy.pk:
            problems.append(f"{ticket.reference}: policy {ticket.sla_policy_id} not {policy.pk}")
        elif ticket.sla_warning_at and ticket.sla_warning_at <= now + margin:
            problems.append(f"{ticket.reference}: a warning falls due within the margin")
        elif ticket.escalation_due_at <= now and (
            not clock.breached_targets(ticket, now) or next_tier(ticket.tier) is None
        ):
            problems.append(f"{ticket.reference}: overdue but would not escalate")
    lifecycle_due = Ticket.objects.filter(lifecycle_due_at__lte=now + margin).count()
    if lifecycle_due:
        problems.append(f"{lifecycle_due} tickets have a lifecycle step due within the margin")
    if problems:
        sys.exit("\nInconsistent SLA columns:\n  " + "\n  ".join(problems[:10]))


def print_summary(now, running: int, overdue: int, seconds: float) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT status, count(*), count(*) FILTER (WHERE escalation_due_at IS NOT NULL)
            FROM tickets_ticket GROUP BY status ORDER BY count(*) DESC
            """
        )
        by_status = cursor.fetchall()
        cursor.execute("SELECT tier, count(*) FROM tickets_ticket GROUP BY tier ORDER BY 2 DESC")
        by_tier = cursor.fetchall()
        cursor.execute(
            """
            SELECT count(*), min(escalation_due_at) - %(now)s
            FROM tickets_ticket WHERE escalation_due_at > %(now)s
            """,
            {"now": now},
        )
        future, nearest = cursor.fetchone()
    total = sum(row[1] for row in by_status)
    print(f"seeded at {now:%Y-%m-%d %H:%M:%S} UTC in {seconds:.1f} s: {total:,} tickets")
    for status, count, clocked in by_status:
        print(
            f"  {status:<20} {count:>10,}  {100 * count / total:5.1f} %  clock running {clocked:,}"
        )
    print("  " + ", ".join(f"{tier} {count:,}" for tier, count in by_tier))
    print(
        f"  running {running:,}: overdue {overdue:,}, due later {future:,} (nearest in {nearest})"
    )


if __name__ == "__main__":
    main()
