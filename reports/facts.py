"""What each case contributes to the reports: its facts, derived from its current rows.

A fact is one thing that happened to a case, on the day it happened: it was filed, got its
first reply, was resolved, breached a deadline, was escalated, appealed, decided, rated.
Every fact carries the case's category, team, channel and priority as they are now (a case
moved to another category is counted there), and a tier: the case's tier now, except where
the fact has its own: an SLA target's tier, the tier an escalation or an appeal left, the
tier whose decision was answered, and a rating's tier and team at the time of the
resolution (kept on the rating).

`facts_for(ticket_ids)` reads a bounded batch of cases in a fixed number of queries and
returns their facts as plain rows in FIELDS order. It is a function of the database only,
so recomputing a case gives the same rows however often, and in whatever order, it runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min, Q
from django.utils import timezone

from escalation.models import Appeal, Panel
from reports.models import Rating
from sla.models import Outcome, SLARecord
from tickets.models import (
    OPEN_STATUSES,
    DelayNotice,
    EventKind,
    Message,
    Resolution,
    ResolutionKind,
    Status,
    Ticket,
    TicketEvent,
    Tier,
)

# The metrics, each with the day it is counted on.
FILED = "filed"  # the day filed
OPEN = "open"  # the day filed, for the cases still open now
FIRST_RESPONSE = "first_response"  # the first public staff reply; value: seconds since filing
RESOLUTION = "resolution"  # resolved (accepted, or the committee decided); value: seconds
INVESTIGATION = "investigation"  # the first proposal or rejection the customer saw; value
DECIDED = "decided"  # the final decision; value: seconds since filing; late: after its deadline
OUTCOME = "outcome"  # the same decision counted by its outcome (key), without the duration
UNDECIDED = "undecided"  # no final decision yet: counted on the day it is due
DELAY_NOTICE = "delay_notice"  # a delay notice sent
SLA = "sla"  # an SLA target met or breached (late); key: the target
ESCALATION = "escalation"  # key: the cause (sla_breach, appeal, manual)
ANSWERED = "answered"  # a decision the customer could appeal; key: proposal or rejection
APPEAL = "appeal"  # key: proposal or rejection, what was appealed
COMMITTEE = "committee"  # the committee's decision; key: the verdict
RATING_OUTCOME = "rating_outcome"  # key: the outcome rated; bucket: the score
RATING_SERVICE = "rating_service"

FIELDS = [
    "ticket_id",
    "metric",
    "key",
    "day",
    "category_id",
    "team_id",
    "tier",
    "channel",
    "priority",
    "bucket",
    "value",
    "late",
]

# Outcomes of a final decision, as Article 8 groups them: in the customer's favour, partly,
# not upheld. A committee that upholds leaves the appealed decision as it was.
UPHELD, PARTLY, NOT_UPHELD = "upheld", "partly", "not_upheld"
OUTCOME_GROUPS = {
    ResolutionKind.COMPENSATION: UPHELD,
    ResolutionKind.ACCOUNT_RECOVERY: UPHELD,
    ResolutionKind.ACCOUNT_UNFREEZE: UPHELD,
    ResolutionKind.TECHNICAL_FIX: UPHELD,
    "committee_overturn": UPHELD,
    ResolutionKind.MEDIATION: PARTLY,
    "committee_modify": PARTLY,
    ResolutionKind.EXPLANATION: NOT_UPHELD,
    ResolutionKind.REJECTION: NOT_UPHELD,
    "rejected": NOT_UPHELD,
    "committee_uphold": NOT_UPHELD,
}
REJECTED = "rejected"


def bucket(seconds: int) -> int:
    """A duration kept to two significant figures, so that a day's durations fall into a
    bounded number of buckets: 3 h 47 min (13,620 s) counts as 14,000 s (3 h 53 min)."""
    seconds = max(int(seconds), 0)
    if seconds < 100:
        return seconds
    scale = 10 ** (len(str(seconds)) - 2)
    return (seconds + scale // 2) // scale * scale


def _seconds(later: datetime, earlier: datetime) -> int:
    return max(int((later - earlier).total_seconds()), 0)


def _day(moment: datetime, zone=None):
    # The day in the site's time zone (UTC): astimezone with the zone looked up once per
    # batch, not timezone.localdate's checks for each of a million facts.
    return moment.astimezone(zone or timezone.get_default_timezone()).date()


def investigation_limit() -> timedelta:
    return timedelta(days=settings.REDRESS_INVESTIGATION_DAYS)


class Case:
    """One case's rows, gathered from the batch's queries."""

    def __init__(self, row) -> None:
        self.row = row
        self.first_reply = None
        self.first_answer = None
        self.tier_moves: list = []  # (at, from_tier, to_tier, reason)
        self.rejections: list[datetime] = []
        self.records: list = []
        self.appeals: list = []
        self.answers: list = []  # resolutions accepted or disputed
        self.accepted = None
        self.verdict = None
        self.ratings: list = []
        self.notices: list[datetime] = []

    def tier_at(self, moment: datetime) -> str:
        """The tier the case was at, from its tier moves (it starts at support)."""
        tier = Tier.SUPPORT
        for at, _from, to, _reason in self.tier_moves:
            if at > moment:
                break
            tier = to
        return tier


_TICKET_COLUMNS = (
    "id",
    "created_at",
    "category_id",
    "team_id",
    "tier",
    "channel",
    "priority",
    "status",
    "resolved_at",
    "final_decision_due_at",
    "final_decision_at",
    "merged_into_id",
)


def _of(ids: list[int], column: str = "ticket_id") -> dict:
    """The filter for these cases: a range when the ids run without a gap (a backfill's
    batches), which the indexes serve as one range scan instead of a long IN list."""
    if ids and ids[-1] - ids[0] + 1 == len(ids):
        return {f"{column}__gte": ids[0], f"{column}__lte": ids[-1]}
    return {f"{column}__in": ids}


def gather(ticket_ids: list[int]) -> dict[int, Case]:
    wanted = sorted(set(ticket_ids))
    cases = {
        row.id: Case(row)
        for row in Ticket.objects.filter(**_of(wanted, "pk")).values_list(
            *_TICKET_COLUMNS, named=True
        )
    }
    ids = sorted(cases)
    replies = (
        Message.objects.filter(**_of(ids), from_staff=True, internal=False)
        .values_list("ticket_id")
        .annotate(first=Min("created_at"))
    )
    for ticket_id, first in replies:
        cases[ticket_id].first_reply = first
    events = (
        TicketEvent.objects.filter(**_of(ids))
        .filter(
            Q(kind=EventKind.TIER)
            | Q(kind=EventKind.RESOLUTION, internal=False)
            | Q(kind=EventKind.STATUS, to_status=Status.REJECTED)
        )
        .order_by("created_at", "id")
        .values_list("ticket_id", "kind", "created_at", "from_tier", "to_tier", "data__reason")
    )
    for ticket_id, kind, at, from_tier, to_tier, reason in events:
        case = cases[ticket_id]
        if kind == EventKind.TIER:
            case.tier_moves.append((at, from_tier, to_tier, reason or "manual"))
            continue
        if case.first_answer is None:
            case.first_answer = at
        if kind == EventKind.STATUS:
            case.rejections.append(at)
    records = SLARecord.objects.filter(
        **_of(ids), outcome__in=[Outcome.MET, Outcome.BREACHED]
    ).values_list("ticket_id", "tier", "target", "outcome", "at")
    for ticket_id, *record in records:
        cases[ticket_id].records.append(record)
    appeals = Appeal.objects.filter(**_of(ids)).values_list(
        "ticket_id", "created_at", "from_tier", "resolution_id"
    )
    for ticket_id, *appeal in appeals:
        cases[ticket_id].appeals.append(appeal)
    answers = (
        Resolution.objects.filter(
            **_of(ids),
            state__in=[Resolution.State.ACCEPTED, Resolution.State.DISPUTED],
            answered_at__isnull=False,
        )
        .order_by("answered_at", "id")
        .values_list("ticket_id", "tier", "kind", "state", "answered_at")
    )
    for ticket_id, tier, kind, state, answered_at in answers:
        case = cases[ticket_id]
        case.answers.append((tier, answered_at))
        if state == Resolution.State.ACCEPTED:
            case.accepted = kind
    panels = (
        Panel.objects.filter(**_of(ids), state=Panel.State.DECIDED)
        .order_by("decided_at", "id")
        .values_list("ticket_id", "decision", "decided_at")
    )
    for ticket_id, decision, decided_at in panels:
        cases[ticket_id].verdict = (decision, decided_at)
    ratings = Rating.objects.filter(**_of(ids), rated_at__isnull=False).values_list(
        "ticket_id", "outcome", "tier", "team_id", "outcome_score", "service_score", "rated_at"
    )
    for ticket_id, *rating in ratings:
        cases[ticket_id].ratings.append(rating)
    notices = DelayNotice.objects.filter(**_of(ids)).values_list("ticket_id", "created_at")
    for ticket_id, created_at in notices:
        cases[ticket_id].notices.append(created_at)
    return cases


def outcome_of(case: Case) -> str | None:
    """The final decision's outcome: the committee's verdict, the accepted resolution's kind,
    or a rejection; None while undecided or for a merged duplicate."""
    row = case.row
    if row.final_decision_at is None or row.merged_into_id is not None:
        return None
    if case.verdict:
        return f"committee_{case.verdict[0]}"
    return case.accepted or REJECTED


def _case_facts(case: Case, zone) -> Iterable[tuple]:
    row = case.row
    dims = (row.category_id, row.team_id)
    rest = (row.channel, row.priority)

    def fact(metric, day_of, *, key="", tier=None, value=None, score=None, late=False, team=...):
        team_id = dims[1] if team is ... else team
        kept = bucket(value) if value is not None and score is None else score
        return (
            row.id,
            metric,
            key,
            _day(day_of, zone),
            dims[0],
            team_id,
            tier or row.tier,
            *rest,
            kept,
            value if score is None else score,
            late,
        )

    filed = row.created_at
    yield fact(FILED, filed)
    if row.status in OPEN_STATUSES:
        yield fact(OPEN, filed)
    if case.first_reply:
        yield fact(FIRST_RESPONSE, case.first_reply, value=_seconds(case.first_reply, filed))
    if row.resolved_at:
        yield fact(RESOLUTION, row.resolved_at, value=_seconds(row.resolved_at, filed))
    if case.first_answer:
        took = _seconds(case.first_answer, filed)
        late = took > investigation_limit().total_seconds()
        yield fact(INVESTIGATION, case.first_answer, value=took, late=late)
    outcome = outcome_of(case)
    if outcome is not None:
        due = row.final_decision_due_at
        late = due is not None and row.final_decision_at > due
        # Two facts: durations keep a bucket each, so counting outcomes from them would read
        # a row per bucket; the outcome's own fact rolls up into a few rows a day.
        yield fact(
            DECIDED, row.final_decision_at, value=_seconds(row.final_decision_at, filed), late=late
        )
        yield fact(OUTCOME, row.final_decision_at, key=outcome, late=late)
    elif row.final_decision_at is None and row.final_decision_due_at:
        yield fact(UNDECIDED, row.final_decision_due_at)
    for sent in case.notices:
        yield fact(DELAY_NOTICE, sent)
    for tier, target, result, at in case.records:
        yield fact(SLA, at, key=target, tier=tier, late=result == Outcome.BREACHED)
    for at, from_tier, _to, reason in case.tier_moves:
        yield fact(ESCALATION, at, key=reason, tier=from_tier)
    for tier, answered_at in case.answers:
        yield fact(ANSWERED, answered_at, key="proposal", tier=tier)
    for rejected_at in case.rejections:
        yield fact(ANSWERED, rejected_at, key="rejection", tier=case.tier_at(rejected_at))
    for at, from_tier, resolution_id in case.appeals:
        key = "proposal" if resolution_id else "rejection"
        yield fact(APPEAL, at, key=key, tier=from_tier)
    if case.verdict:
        decision, decided_at = case.verdict
        yield fact(COMMITTEE, decided_at, key=decision, tier=Tier.DISPUTE_COMMITTEE)
    for outcome_rated, tier, team_id, outcome_score, service_score, rated_at in case.ratings:
        for metric, score in ((RATING_OUTCOME, outcome_score), (RATING_SERVICE, service_score)):
            if score is not None:
                yield fact(
                    metric, rated_at, key=outcome_rated, tier=tier, score=score, team=team_id
                )


def facts_for(ticket_ids: Iterable[int]) -> dict[int, list[tuple]]:
    """Each case's facts (rows in FIELDS order); a case that no longer exists has none."""
    ids = sorted(set(ticket_ids))
    cases = gather(ids)
    zone = timezone.get_default_timezone()
    result: dict[int, list[tuple]] = defaultdict(list)
    for ticket_id in ids:
        case = cases.get(ticket_id)
        result[ticket_id] = list(_case_facts(case, zone)) if case else []
    return result
