"""The reports: each reads the day roll-ups under the filters and the reader's scope.

`build(name, filters, scope)` gives a Result (reports/results.py). Every bar and row links
down to the desk's queue with the same filters (its "All open" view, filed in the bar's
period, narrowed by the row's category, team or tier), where the cases still open are.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from accounts.models import Team
from escalation.models import Verdict
from reports import chats, deflection, facts, query, rollup
from reports.query import ReportFilters
from reports.results import (
    DURATION,
    INT,
    PERCENT,
    SCORE,
    TEXT,
    Chart,
    Column,
    Figure,
    Result,
    Series,
    Table,
)
from reports.selectors import Scope
from sla.models import Target
from tickets.models import Category, Channel, ResolutionKind, Tier


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Context:
    filters: ReportFilters
    scope: Scope

    @cached_property
    def categories(self) -> dict[int, Category]:
        return {c.pk: c for c in Category.objects.all()}

    @cached_property
    def teams(self) -> dict[int, Team]:
        return {t.pk: t for t in Team.objects.all()}

    def category_name(self, category_id) -> str:
        category = self.categories.get(category_id)
        return category.name if category else _("No category")

    def team_name(self, team_id) -> str:
        team = self.teams.get(team_id)
        return team.label if team else _("No team")

    @cached_property
    def built(self):
        return rollup.months_built()

    def rows(self, metric, **kwargs):
        return query.rows(metric, self.filters, self.scope, built=self.built, **kwargs)

    @cached_property
    def size(self) -> str:
        return query.grain(self.filters)

    @cached_property
    def periods(self) -> list[tuple]:
        return query.periods(self.filters)

    def period_key(self, first) -> object:
        return query.period_start(first, self.size)

    def label(self, first, last) -> str:
        return query.period_label(first, last, self.size)

    def link(self, *, start=None, end=None, category=None, team=None, tier=None, view="all"):
        """The queue with these filters: the report's, narrowed by a period, row or bar."""
        filters = self.filters
        params = [
            ("view", view),
            ("created_from", (start or filters.start).isoformat()),
            ("created_to", (end or filters.end).isoformat()),
        ]
        categories = [category] if category is not None else filters.category
        params += [
            ("category", self.categories[c].code) for c in categories if c in self.categories
        ]
        teams = [team] if team is not None else filters.team or sorted(self.scope.team_ids or ())
        params += [("team", self.teams[t].code) for t in teams if t in self.teams]
        params += [("tier", value) for value in ([tier] if tier else filters.tier)]
        params += [("channel", value) for value in filters.channel]
        params += [("priority", value) for value in filters.priority]
        return f"{reverse('staff:queue')}?{urlencode(params)}"

    def period_links(self) -> list[str]:
        return [self.link(start=first, end=last) for first, last in self.periods]

    def period_labels(self) -> list[str]:
        return [self.label(first, last) for first, last in self.periods]

    def per_period(self, found: dict, *rest) -> list:
        return [found.get((self.period_key(first), *rest), 0) for first, _last in self.periods]


PERIOD = gettext_lazy("Period")


def _period_column() -> Column:
    return Column("period", PERIOD, TEXT)


# The reports


def volume(ctx: Context) -> Result:
    filed = query.counts(ctx.rows(facts.FILED), per_period=ctx.filters)
    decided = query.counts(ctx.rows(facts.OUTCOME), per_period=ctx.filters)
    still_open = query.counts(ctx.rows(facts.OPEN), per_period=ctx.filters)
    by_category = query.counts(ctx.rows(facts.FILED), "category_id")
    open_by_category = query.counts(ctx.rows(facts.OPEN), "category_id")
    open_now = sum(query.counts(ctx.rows(facts.OPEN, dated=False)).values())
    filed_series, decided_series = ctx.per_period(filed), ctx.per_period(decided)
    open_series = ctx.per_period(still_open)
    rows = [
        {"period": label, "filed": f, "decided": d, "open": o, "link": link}
        for label, f, d, o, link in zip(
            ctx.period_labels(),
            filed_series,
            decided_series,
            open_series,
            ctx.period_links(),
            strict=True,
        )
    ]
    categories = sorted(by_category.items(), key=lambda item: -item[1])
    return Result(
        name="volume",
        title=_("Volume"),
        description=_(
            "Complaints filed and decided in each period, and how many of those filed are "
            "still open."
        ),
        summary=[
            Figure(_("Filed"), sum(filed_series)),
            Figure(_("Decided"), sum(decided_series)),
            Figure(_("Of those filed, still open"), sum(open_series)),
            Figure(_("Open now (filed at any time)"), open_now),
        ],
        chart=Chart(
            title=_("Complaints filed and decided"),
            kind=INT,
            labels=ctx.period_labels(),
            links=ctx.period_links(),
            series=[
                Series("filed", _("Filed"), filed_series),
                Series("decided", _("Decided"), decided_series),
            ],
        ),
        tables=[
            Table(
                _("By period"),
                [
                    _period_column(),
                    Column("filed", _("Filed")),
                    Column("decided", _("Decided")),
                    Column("open", _("Still open")),
                ],
                rows,
                key="periods",
            ),
            Table(
                _("By category"),
                [
                    Column("category", _("Category"), TEXT),
                    Column("filed", _("Filed")),
                    Column("open", _("Still open")),
                ],
                [
                    {
                        "category": ctx.category_name(category_id),
                        "filed": count,
                        "open": open_by_category.get((category_id,), 0),
                        "link": ctx.link(category=category_id),
                    }
                    for (category_id,), count in categories
                ],
                key="categories",
            ),
        ],
    )


def response_times(ctx: Context) -> Result:
    first = query.distributions(ctx.rows(facts.FIRST_RESPONSE), per_period=ctx.filters)
    resolved = query.distributions(ctx.rows(facts.RESOLUTION), per_period=ctx.filters)
    empty = query.Distribution()

    def period(found, first_day):
        return found.get((ctx.period_key(first_day),), empty)

    rows = []
    for (first_day, _last_day), label, link in zip(
        ctx.periods, ctx.period_labels(), ctx.period_links(), strict=True
    ):
        reply, done = period(first, first_day), period(resolved, first_day)
        rows.append(
            {
                "period": label,
                "replied": reply.count,
                "reply_median": reply.median,
                "reply_p90": reply.p90,
                "resolved": done.count,
                "resolution_median": done.median,
                "resolution_p90": done.p90,
                "link": link,
            }
        )
    all_replies, all_resolved = query.merged(first.values()), query.merged(resolved.values())
    return Result(
        name="response-times",
        title=_("Response times"),
        description=_(
            "Time from filing to the first reply and to the resolution: median and 90th "
            "percentile, for the cases answered or resolved in each period."
        ),
        summary=[
            Figure(_("First reply, median"), all_replies.median, DURATION),
            Figure(_("First reply, 90th percentile"), all_replies.p90, DURATION),
            Figure(_("Resolution, median"), all_resolved.median, DURATION),
            Figure(_("Resolution, 90th percentile"), all_resolved.p90, DURATION),
        ],
        chart=Chart(
            title=_("Median time to the first reply and to the resolution"),
            kind=DURATION,
            labels=ctx.period_labels(),
            links=ctx.period_links(),
            series=[
                Series("reply_median", _("First reply"), [r["reply_median"] for r in rows]),
                Series(
                    "resolution_median", _("Resolution"), [r["resolution_median"] for r in rows]
                ),
            ],
        ),
        tables=[
            Table(
                _("By period"),
                [
                    _period_column(),
                    Column("replied", _("First replies")),
                    Column("reply_median", _("Median"), DURATION),
                    Column("reply_p90", _("90th percentile"), DURATION),
                    Column("resolved", _("Resolved")),
                    Column("resolution_median", _("Median"), DURATION),
                    Column("resolution_p90", _("90th percentile"), DURATION),
                ],
                rows,
                key="periods",
            )
        ],
        notes=[
            _(
                "Times are kept to two significant figures (3 h 47 min counts as 3 h 53 min), "
                "so a median or percentile is within 5 percent of the exact one."
            )
        ],
    )


def sla_compliance(ctx: Context) -> Result:
    found = query.counts(ctx.rows(facts.SLA), "tier", "key", "late")
    rows, labels, links, values = [], [], [], []
    met_total = breached_total = 0
    for tier, tier_label in Tier.choices:
        for target, target_label in Target.choices:
            met = found.get((tier, target, False), 0)
            breached = found.get((tier, target, True), 0)
            if not (met or breached):
                continue
            met_total, breached_total = met_total + met, breached_total + breached
            label = f"{tier_label} · {target_label}"
            link = ctx.link(tier=tier, view="breached")
            compliance = _share(met, met + breached)
            rows.append(
                {
                    "tier": str(tier_label),
                    "target": str(target_label),
                    "met": met,
                    "breached": breached,
                    "compliance": compliance,
                    "link": link,
                }
            )
            labels.append(label)
            links.append(link)
            values.append(compliance)
    return Result(
        name="sla",
        title=_("SLA compliance"),
        description=_(
            "Deadlines met on time and missed, per target and tier, by the day they were met "
            "or missed."
        ),
        summary=[
            Figure(_("Compliance"), _share(met_total, met_total + breached_total), PERCENT),
            Figure(_("Met"), met_total),
            Figure(_("Missed"), breached_total),
        ],
        chart=Chart(
            title=_("Deadlines met on time"),
            kind=PERCENT,
            labels=labels,
            links=links,
            series=[Series("compliance", _("Met on time"), values)],
        ),
        tables=[
            Table(
                _("By tier and target"),
                [
                    Column("tier", _("Tier"), TEXT),
                    Column("target", _("Deadline"), TEXT),
                    Column("met", _("Met")),
                    Column("breached", _("Missed")),
                    Column("compliance", _("Compliance"), PERCENT),
                ],
                rows,
                key="targets",
            )
        ],
    )


CAUSES = {
    "sla_breach": gettext_lazy("Deadline missed"),
    "appeal": gettext_lazy("Appeal"),
    "manual": gettext_lazy("By hand"),
}


def escalations(ctx: Context) -> Result:
    found = query.counts(ctx.rows(facts.ESCALATION), "key", per_period=ctx.filters)
    by_tier = query.counts(ctx.rows(facts.ESCALATION), "tier", "key")
    series = {cause: ctx.per_period(found, cause) for cause in CAUSES}
    rows = []
    for index, (label, link) in enumerate(
        zip(ctx.period_labels(), ctx.period_links(), strict=True)
    ):
        row = {"period": label, "link": link}
        row.update({cause: series[cause][index] for cause in CAUSES})
        row["total"] = sum(series[cause][index] for cause in CAUSES)
        rows.append(row)
    tier_rows = []
    for tier, tier_label in Tier.choices[:-1]:  # the committee is the last tier: none leave it
        row = {"tier": str(tier_label), "link": ctx.link(tier=tier)}
        row.update({cause: by_tier.get((tier, cause), 0) for cause in CAUSES})
        row["total"] = sum(row[cause] for cause in CAUSES)
        tier_rows.append(row)
    cause_columns = [Column(cause, label) for cause, label in CAUSES.items()]
    return Result(
        name="escalations",
        title=_("Escalations by cause"),
        description=_(
            "Cases moved up a tier because a deadline was missed, because the customer "
            "appealed, or by hand."
        ),
        summary=[Figure(label, sum(series[cause])) for cause, label in CAUSES.items()],
        chart=Chart(
            title=_("Escalations by cause"),
            kind=INT,
            labels=ctx.period_labels(),
            links=ctx.period_links(),
            series=[Series(cause, label, series[cause]) for cause, label in CAUSES.items()],
            stacked=True,
        ),
        tables=[
            Table(
                _("By period"),
                [_period_column(), *cause_columns, Column("total", _("Total"))],
                rows,
                key="periods",
            ),
            Table(
                _("By the tier they left"),
                [Column("tier", _("Tier"), TEXT), *cause_columns, Column("total", _("Total"))],
                tier_rows,
                key="tiers",
            ),
        ],
    )


def appeals(ctx: Context) -> Result:
    answered = query.counts(ctx.rows(facts.ANSWERED), "team_id")
    appealed = query.counts(ctx.rows(facts.APPEAL), "team_id")
    verdicts = query.counts(ctx.rows(facts.COMMITTEE), "team_id", "key")
    teams = sorted(
        {key[0] for key in (*answered, *appealed, *verdicts)},
        key=lambda team_id: ctx.team_name(team_id),
    )
    rows = []
    for team_id in teams:
        decisions, appeals_count = answered.get((team_id,), 0), appealed.get((team_id,), 0)
        decided = sum(verdicts.get((team_id, verdict), 0) for verdict in Verdict.values)
        modified = verdicts.get((team_id, Verdict.MODIFY), 0)
        overturned = verdicts.get((team_id, Verdict.OVERTURN), 0)
        rows.append(
            {
                "team": ctx.team_name(team_id),
                "answered": decisions,
                "appealed": appeals_count,
                "appeal_rate": _share(appeals_count, decisions),
                "committee": decided,
                "modified": modified,
                "overturned": overturned,
                "modify_rate": _share(modified, decided),
                "overturn_rate": _share(overturned, decided),
                "link": ctx.link(team=team_id) if team_id in ctx.teams else ctx.link(),
            }
        )
    total_answered = sum(answered.values())
    total_appealed = sum(appealed.values())
    total_decided = sum(verdicts.values())
    return Result(
        name="appeals",
        title=_("Appeals"),
        description=_(
            "How often the decisions of each team were appealed (proposals disputed and "
            "rejections appealed, against the proposals answered and rejections given), and "
            "how often the committee then modified or overturned them."
        ),
        summary=[
            Figure(_("Appeal rate"), _share(total_appealed, total_answered), PERCENT),
            Figure(_("Appeals"), total_appealed),
            Figure(
                _("Modified by the committee"),
                _share(
                    sum(v for (t, k), v in verdicts.items() if k == Verdict.MODIFY), total_decided
                ),
                PERCENT,
            ),
            Figure(
                _("Overturned by the committee"),
                _share(
                    sum(v for (_t, k), v in verdicts.items() if k == Verdict.OVERTURN),
                    total_decided,
                ),
                PERCENT,
            ),
        ],
        chart=Chart(
            title=_("Appeal rate by team"),
            kind=PERCENT,
            labels=[row["team"] for row in rows],
            links=[row["link"] for row in rows],
            series=[Series("appeal_rate", _("Appeal rate"), [r["appeal_rate"] for r in rows])],
        ),
        tables=[
            Table(
                _("By the team whose decision was appealed"),
                [
                    Column("team", _("Team"), TEXT),
                    Column("answered", _("Decisions")),
                    Column("appealed", _("Appealed")),
                    Column("appeal_rate", _("Appeal rate"), PERCENT),
                    Column("committee", _("Committee decisions")),
                    Column("modify_rate", _("Modified"), PERCENT),
                    Column("overturn_rate", _("Overturned"), PERCENT),
                ],
                rows,
                key="teams",
            )
        ],
    )


def committee(ctx: Context) -> Result:
    found = query.counts(ctx.rows(facts.COMMITTEE), "key", per_period=ctx.filters)
    series = {verdict: ctx.per_period(found, verdict) for verdict in Verdict.values}
    total = sum(sum(values) for values in series.values())
    rows = []
    for index, (label, link) in enumerate(
        zip(ctx.period_labels(), ctx.period_links(), strict=True)
    ):
        row = {"period": label, "link": link}
        row.update({verdict: series[verdict][index] for verdict in Verdict.values})
        rows.append(row)
    return Result(
        name="committee",
        title=_("Committee outcomes"),
        description=_("The Dispute Committee's decisions: uphold, modify or overturn."),
        summary=[
            Figure(label, _share(sum(series[verdict]), total), PERCENT)
            for verdict, label in Verdict.choices
        ]
        + [Figure(_("Decisions"), total)],
        chart=Chart(
            title=_("Committee decisions"),
            kind=INT,
            labels=ctx.period_labels(),
            links=ctx.period_links(),
            series=[Series(v, label, series[v]) for v, label in Verdict.choices],
            stacked=True,
        ),
        tables=[
            Table(
                _("By period"),
                [_period_column(), *(Column(v, label) for v, label in Verdict.choices)],
                rows,
                key="periods",
            )
        ],
    )


def outcome_label(outcome: str) -> str:
    if outcome.startswith("committee_"):
        verdict = outcome.removeprefix("committee_")
        labels = dict(Verdict.choices)
        return _("Committee: %(verdict)s") % {"verdict": labels.get(verdict, verdict)}
    if outcome == facts.REJECTED:
        return _("Rejected")
    return str(dict(ResolutionKind.choices).get(outcome, outcome))


def _score_rows(outcome_scores, service_scores, keys, label, link):
    rows = []
    for key in keys:
        outcome = outcome_scores.get(key, query.Distribution())
        service = service_scores.get(key, query.Distribution())
        low = sum(c for score, c in outcome.buckets.items() if score <= 2)
        rows.append(
            {
                "group": label(key[0]),
                "ratings": outcome.count,
                "outcome": round(outcome.mean, 2) if outcome.mean is not None else None,
                "service": round(service.mean, 2) if service.mean is not None else None,
                "low": _share(low, outcome.count),
                "link": link(key[0]),
            }
        )
    return rows


def satisfaction(ctx: Context) -> Result:
    outcome_by_kind = query.distributions(ctx.rows(facts.RATING_OUTCOME), "key")
    service_by_kind = query.distributions(ctx.rows(facts.RATING_SERVICE), "key")
    outcome_by_team = query.distributions(ctx.rows(facts.RATING_OUTCOME), "team_id")
    service_by_team = query.distributions(ctx.rows(facts.RATING_SERVICE), "team_id")
    kinds = sorted(outcome_by_kind, key=lambda key: outcome_label(key[0]))
    teams = sorted(outcome_by_team, key=lambda key: ctx.team_name(key[0]))
    by_kind = _score_rows(
        outcome_by_kind, service_by_kind, kinds, outcome_label, lambda _key: ctx.link()
    )
    by_team = _score_rows(
        outcome_by_team,
        service_by_team,
        teams,
        ctx.team_name,
        lambda team_id: ctx.link(team=team_id) if team_id in ctx.teams else ctx.link(),
    )
    columns = [
        Column("ratings", _("Ratings")),
        Column("outcome", _("Outcome (1–5)"), SCORE),
        Column("service", _("Service (1–5)"), SCORE),
        Column("low", _("Rated 1 or 2"), PERCENT),
    ]
    everything = query.merged(outcome_by_kind.values())
    service = query.merged(service_by_kind.values())
    result = Result(
        name="satisfaction",
        title=_("Satisfaction"),
        description=_(
            "Customers' ratings of the outcome and of the service, by what was decided (so a "
            "correct rejection is not read as poor service) and by the team at the time."
        ),
        summary=[
            Figure(_("Ratings"), everything.count),
            Figure(_("Outcome, average"), everything.mean, SCORE),
            Figure(_("Service, average"), service.mean, SCORE),
        ],
        chart=Chart(
            title=_("Average ratings by outcome"),
            kind=SCORE,
            labels=[row["group"] for row in by_kind],
            links=[row["link"] for row in by_kind],
            series=[
                Series("outcome", _("Outcome"), [row["outcome"] for row in by_kind]),
                Series("service", _("Service"), [row["service"] for row in by_kind]),
            ],
        ),
        tables=[
            Table(
                _("By outcome"),
                [Column("group", _("Outcome"), TEXT), *columns],
                by_kind,
                key="outcomes",
            ),
            Table(_("By team"), [Column("group", _("Team"), TEXT), *columns], by_team, key="teams"),
        ],
    )
    _chat_satisfaction(ctx, result, columns)
    return result


def _chat_satisfaction(ctx: Context, result: Result, columns: list[Column]) -> None:
    """The live chats' own ratings, per period, beside the cases' (reports/chats.py)."""
    filters = ctx.filters
    if (
        filters.tier
        or filters.priority
        or (filters.channel and Channel.CHAT not in filters.channel)
    ):
        result.notes.append(
            _(
                "Live-chat ratings are left out under this filter: a chat has no tier or "
                "priority, and its channel is live chat."
            )
        )
        return
    teams = frozenset(filters.team) if filters.team else None
    if not ctx.scope.everything:
        teams = (teams or ctx.scope.team_ids) & ctx.scope.team_ids
    outcome, service = chats.rating_scores(
        filters.start,
        filters.end,
        categories=filters.category,
        teams=teams,
        period=lambda day: (ctx.period_key(day),),
    )
    keys = [(ctx.period_key(first),) for first, _last in ctx.periods]
    labels = dict(zip(keys, ctx.period_labels(), strict=True))
    rows = _score_rows(outcome, service, keys, lambda key: labels[(key,)], lambda _key: "")
    result.summary += [
        Figure(_("Live-chat ratings"), query.merged(outcome.values()).count),
        Figure(_("Live chat, service average"), query.merged(service.values()).mean, SCORE),
    ]
    result.tables.append(
        Table(
            _("Live chats, by period"), [Column("group", PERIOD, TEXT), *columns], rows, key="chats"
        )
    )


def deflection_report(ctx: Context) -> Result:
    result = Result(
        name="deflection",
        title=_("Help-center deflection"),
        description=_(
            "Customers the help center answered before they filed: suggestions shown, "
            "articles opened, “this solved my problem” and “file anyway”."
        ),
    )
    source = deflection.source()
    if source is None:
        result.notes.append(
            _("The help center does not record these yet: this report fills in once it does.")
        )
        return result
    codes = [ctx.categories[c].code for c in ctx.filters.category if c in ctx.categories]
    days = source(ctx.filters.start, ctx.filters.end, codes)
    totals = deflection.Counts()
    per_period: dict = {}
    for day, counts in days.items():
        key = query.period_start(day, ctx.size)
        per_period[key] = per_period.get(key, deflection.Counts()) + counts
        totals += counts
    rows = []
    for (first, _last), label, link in zip(
        ctx.periods, ctx.period_labels(), ctx.period_links(), strict=True
    ):
        counts = per_period.get(ctx.period_key(first), deflection.Counts())
        rows.append({"period": label, **counts.as_dict(), "rate": counts.rate, "link": link})
    result.summary = [
        Figure(_("Deflection rate"), totals.rate, PERCENT),
        Figure(_("Solved by an article"), totals.solved),
        Figure(_("Filed anyway"), totals.filed_anyway),
    ]
    result.chart = Chart(
        title=_("Solved by the help center, and filed anyway"),
        kind=INT,
        labels=ctx.period_labels(),
        links=ctx.period_links(),
        series=[
            Series("solved", _("Solved by an article"), [r["solved"] for r in rows]),
            Series("filed_anyway", _("Filed anyway"), [r["filed_anyway"] for r in rows]),
        ],
    )
    result.tables = [
        Table(
            _("By period"),
            [
                _period_column(),
                Column("shown", _("Suggestions shown")),
                Column("opened", _("Articles opened")),
                Column("solved", _("Solved by an article")),
                Column("filed_anyway", _("Filed anyway")),
                Column("rate", _("Deflection rate"), PERCENT),
            ],
            rows,
            key="periods",
        )
    ]
    return result


OUTCOME_GROUP_LABELS = {
    facts.UPHELD: gettext_lazy("In the customer's favour"),
    facts.PARTLY: gettext_lazy("Partly in the customer's favour"),
    facts.NOT_UPHELD: gettext_lazy("Not upheld (rejected or explained)"),
}


def complaints_handling(ctx: Context) -> Result:
    filed = query.counts(ctx.rows(facts.FILED), "category_id")
    steps = {
        metric: query.distributions(ctx.rows(metric), "late")
        for metric in (facts.INVESTIGATION, facts.DECIDED)
    }
    decided = query.counts(ctx.rows(facts.OUTCOME), "key")
    decided_by_category = query.counts(ctx.rows(facts.OUTCOME), "category_id", "late")
    today = timezone.localdate()
    past_now = sum(
        count
        for (day,), count in query.counts(
            ctx.rows(facts.UNDECIDED, dated=False, before=today), "day"
        ).items()
    )
    notices = sum(query.counts(ctx.rows(facts.DELAY_NOTICE)).values())
    total_filed = sum(filed.values())

    def step(label, metric, limit):
        parts = steps[metric]
        whole = query.merged(parts.values())
        late = parts.get((True,), query.Distribution()).count
        return {
            "step": label,
            "completed": whole.count,
            "average": whole.mean,
            "p90": whole.p90,
            "limit": limit,
            "late": late,
        }

    step_rows = [
        {
            "step": _("Acknowledgement (the filing receipt)"),
            "completed": total_filed,
            "average": 0 if total_filed else None,
            "p90": 0 if total_filed else None,
            "limit": _("at filing"),
            "late": 0,
        },
        step(
            _("Investigation, to a first proposal or rejection"),
            facts.INVESTIGATION,
            _("%(days)d days") % {"days": settings.REDRESS_INVESTIGATION_DAYS},
        ),
        step(
            _("Final decision"),
            facts.DECIDED,
            _("%(days)d days, or the category's own")
            % {"days": settings.REDRESS_FINAL_DECISION_DAYS},
        ),
    ]
    groups = {group: 0 for group in OUTCOME_GROUP_LABELS}
    for (outcome,), count in decided.items():
        groups[facts.OUTCOME_GROUPS.get(outcome, facts.NOT_UPHELD)] += count
    committee_rows = [
        {"verdict": str(label), "count": decided.get((f"committee_{verdict}",), 0)}
        for verdict, label in Verdict.choices
    ]
    topics = sorted(filed.items(), key=lambda item: -item[1])
    topic_rows = [
        {
            "category": ctx.category_name(category_id),
            "filed": count,
            "decided": decided_by_category.get((category_id, False), 0)
            + decided_by_category.get((category_id, True), 0),
            "late": decided_by_category.get((category_id, True), 0),
            "link": ctx.link(category=category_id),
        }
        for (category_id,), count in topics
    ]
    return Result(
        name="complaints-handling",
        title=_("Complaints handling (Article 8)"),
        description=_(
            "What Article 8 of Commission Delegated Regulation (EU) 2025/294 asks an exchange "
            "to analyse: the time of each step, the complaints past each step's time limit, "
            "the topics and the outcomes."
        ),
        summary=[
            Figure(_("Complaints filed"), total_filed),
            Figure(_("Final decisions"), sum(decided.values())),
            Figure(_("Open now and past the final-decision deadline"), past_now),
            Figure(_("Delay notices sent"), notices),
        ],
        chart=Chart(
            title=_("Complaints by topic"),
            kind=INT,
            labels=[row["category"] for row in topic_rows],
            links=[row["link"] for row in topic_rows],
            series=[Series("filed", _("Filed"), [row["filed"] for row in topic_rows])],
        ),
        tables=[
            Table(
                _("Steps"),
                [
                    Column("step", _("Step"), TEXT),
                    Column("completed", _("Completed")),
                    Column("average", _("Average"), DURATION),
                    Column("p90", _("90th percentile"), DURATION),
                    Column("limit", _("Time limit"), TEXT),
                    Column("late", _("Past the limit")),
                ],
                step_rows,
                key="steps",
            ),
            Table(
                _("Topics"),
                [
                    Column("category", _("Category"), TEXT),
                    Column("filed", _("Filed")),
                    Column("decided", _("Decided")),
                    Column("late", _("Decided after the deadline")),
                ],
                topic_rows,
                key="topics",
            ),
            Table(
                _("Outcomes"),
                [Column("outcome", _("Outcome"), TEXT), Column("count", _("Final decisions"))],
                [
                    {"outcome": str(OUTCOME_GROUP_LABELS[group]), "count": count}
                    for group, count in groups.items()
                ],
                key="outcomes",
            ),
            Table(
                _("Committee decisions"),
                [Column("verdict", _("Decision"), TEXT), Column("count", _("Cases"))],
                committee_rows,
                key="committee",
            ),
        ],
        notes=[
            _(
                "Times are counted from filing; steps completed in the period are counted. "
                "The final decision is an accepted (or auto-accepted) resolution, a rejection "
                "not appealed in time, or the committee's decision."
            )
        ],
    )


def register(ctx: Context) -> Result:
    from reports import register as records

    filed = query.counts(ctx.rows(facts.FILED), per_period=ctx.filters)
    series = ctx.per_period(filed)
    listed = records.rows(ctx.filters, ctx.scope, limit=records.PAGE_ROWS)
    return Result(
        name="register",
        title=_("Register of complaints"),
        description=_(
            "Every complaint filed in the period: the dates of each step, the category, the "
            "outcome and any compensation. The CSV export holds all of them."
        ),
        summary=[Figure(_("Complaints filed"), sum(series))],
        chart=Chart(
            title=_("Complaints filed"),
            kind=INT,
            labels=ctx.period_labels(),
            links=ctx.period_links(),
            series=[Series("filed", _("Filed"), series)],
        ),
        tables=[records.table(listed)],
        notes=[]
        if sum(series) <= records.PAGE_ROWS
        else [
            _("The first %(count)d are listed here; the CSV export holds all of them.")
            % {"count": records.PAGE_ROWS}
        ],
    )


@dataclass(frozen=True)
class Report:
    name: str
    title: object
    build: Callable[[Context], Result]


REPORTS = {
    report.name: report
    for report in (
        Report("volume", gettext_lazy("Volume"), volume),
        Report("response-times", gettext_lazy("Response times"), response_times),
        Report("sla", gettext_lazy("SLA compliance"), sla_compliance),
        Report("escalations", gettext_lazy("Escalations by cause"), escalations),
        Report("appeals", gettext_lazy("Appeals"), appeals),
        Report("committee", gettext_lazy("Committee outcomes"), committee),
        Report("satisfaction", gettext_lazy("Satisfaction"), satisfaction),
        Report("deflection", gettext_lazy("Help-center deflection"), deflection_report),
        Report(
            "complaints-handling",
            gettext_lazy("Complaints handling (Article 8)"),
            complaints_handling,
        ),
        Report("register", gettext_lazy("Register of complaints"), register),
    )
}


# The reports that read the roll-ups: their result is cached under the roll-ups'
# version (reports.rollup.VERSION_KEY), the reader's language and scope and the day. The
# register lists live case rows and deflection reads the help center's live counters. The
# satisfaction report's live-chat ratings are read from the chats, so they may lag by up to
# CACHE_SECONDS there.
CACHED = frozenset(REPORTS) - {"register", "deflection"}
CACHE_SECONDS = 300  # also how long a renamed category or team keeps its old name here


def build(name: str, filters: ReportFilters, scope: Scope) -> Result:
    if name not in CACHED:
        return REPORTS[name].build(Context(filters, scope))
    version = cache.get(rollup.VERSION_KEY)
    if version is None:
        cache.add(rollup.VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(rollup.VERSION_KEY)
        if version is None:  # no cache (Redis down): built each time
            return REPORTS[name].build(Context(filters, scope))
    parts = (version, name, filters, scope.team_ids, get_language(), timezone.localdate())
    key = "report:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    result = cache.get(key)
    if result is None:
        result = REPORTS[name].build(Context(filters, scope))
        cache.set(key, result, CACHE_SECONDS)
    return result


def default_range(today=None) -> tuple:
    """The last 30 days, today included."""
    today = today or timezone.localdate()
    return today - timedelta(days=29), today
