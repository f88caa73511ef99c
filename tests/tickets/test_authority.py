"""Who may take which action at which tier: the whole matrix, through every door.

Every action × every role × every tier, through the services, the API and the web forms.
The expectations are written out here from issue 16 and DESIGN.md, not read from
tickets.authority, so a change to the rule has to change this table too:

- support: agents work the case; appeal officers approve compensation (four eyes);
- appeal center: appeal officers work the case and approve;
- dispute committee: only the panel's members vote; admins may correct the case but
  never decide it (no proposal, rejection, escalation or approval);
- admins may act at support and the appeal center too, as a correction, and their
  actions' audit events say so;
- customers act on their own case at every tier, as its state allows.

A role that may not read the case at that tier gets 404 (tickets.selectors); one that may
read it but not take the action gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from escalation import services as lifecycle
from escalation.models import Panel, PanelSeat
from tests.factories import (
    AgentFactory,
    CustomerFactory,
    UserFactory,
    category,
    login_verified,
    png_upload,
)
from tickets import services
from tickets.exceptions import InvalidTransition, NotAllowed
from tickets.models import Asset, EventKind, Resolution, Status, Ticket, TicketEvent, Tier

pytestmark = pytest.mark.django_db

S, A, C = Tier.SUPPORT, Tier.APPEAL_CENTER, Tier.DISPUTE_COMMITTEE
TIERS = (S, A, C)
ROLES = ("customer", "agent", "appeal_officer", "committee", "admin")

_WORK = {S: {"agent", "admin"}, A: {"appeal_officer", "admin"}, C: {"admin"}}
_DECIDE = {S: {"agent", "admin"}, A: {"appeal_officer", "admin"}, C: set()}
_WRITE = {tier: {"customer", *staff} for tier, staff in _WORK.items()}

# action -> tier -> the roles that may take it.
ALLOWED = {
    "reply": _WRITE,
    "evidence": _WRITE,
    "note": _WORK,
    "claim": _WORK,
    "assign": _WORK,
    "request_info": _WORK,
    "change_priority": _WORK,
    "change_category": _WORK,
    "merge": _WORK,
    "propose": _DECIDE,
    "reject": _DECIDE,
    "escalate": _DECIDE,
    "approve": {S: {"appeal_officer", "admin"}, A: {"appeal_officer", "admin"}, C: set()},
    "vote": {S: set(), A: set(), C: {"committee"}},
    "accept": {S: {"customer"}, A: {"customer"}, C: {"customer"}},
    "appeal": {S: {"customer"}, A: {"customer"}, C: {"customer"}},
}
ACTIONS = tuple(ALLOWED)
# Who reads the case at each tier (admins after "open anyway", the member on its panel);
# appeal officers also read a case whose compensation waits for their approval.
READS = {S: {"customer", "agent", "admin"}, A: {"customer", "appeal_officer", "admin"}}
READS[C] = {"customer", "committee", "admin"}
# Allowed, and yet the state says no: there is no tier above the committee.
CONFLICTS = {("appeal", C): 409}
# Actions that leave an admin's correction in the trail when an admin takes them.
CORRECTED = {"approve": EventKind.APPROVAL, "claim": EventKind.ASSIGNED}


@dataclass
class Case:
    """One case at a tier, in the state the action needs, and a person in each role who
    could read it if the rule lets them (the agent in its team, the member on its panel)."""

    ticket: Ticket
    people: dict[str, User]
    into: Ticket | None = None
    resolution: Resolution | None = None
    extra: dict = field(default_factory=dict)


def _file(customer) -> Ticket:
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("other"),
        subject="Referral bonus never paid",
        description="The invited friend traded, the bonus never came.",
        fields={},
    )


def _place(ticket: Ticket, tier: str, status: str = Status.OPEN) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(tier=tier, status=status)
    ticket.refresh_from_db()


def build(tier: str, action: str) -> Case:
    customer = CustomerFactory()
    people = {
        "customer": customer,
        "agent": AgentFactory(teams=["general"]),
        "appeal_officer": UserFactory(role="appeal_officer", is_staff=True),
        "committee": UserFactory(role="committee", is_staff=True),
        "admin": UserFactory(role="admin", is_staff=True),
    }
    ticket = _file(customer)
    _place(ticket, tier)
    case = Case(ticket, people)
    tickets = [ticket]
    if action == "merge":
        case.into = _file(customer)
        _place(case.into, tier)
        tickets.append(case.into)
    if action in ("accept", "appeal"):
        case.resolution = Resolution.objects.create(
            ticket=ticket,
            tier=tier,
            kind="explanation",
            summary="Here is why.",
            proposed_by=AgentFactory(),
        )
        _place(ticket, tier, Status.RESOLUTION_PROPOSED)
    if action == "approve":
        case.resolution = Resolution.objects.create(
            ticket=ticket,
            tier=tier,
            kind="compensation",
            summary="We refund 500 USDT.",
            amount=500,
            asset=Asset.objects.get(code="USDT"),
            state=Resolution.State.PENDING_APPROVAL,
            proposed_by=AgentFactory(),
        )
    for each in tickets:
        if tier == C:
            panel = Panel.objects.create(ticket=each, size=3, state=Panel.State.SITTING)
            members = [people["committee"], *(UserFactory(role="committee") for _ in range(2))]
            PanelSeat.objects.bulk_create(PanelSeat(panel=panel, member=m) for m in members)
        services.ticket_open_anyway(ticket=each, actor=people["admin"], reason="The matrix.")
    return case


def expected_roles(tier: str, action: str) -> set[str]:
    return ALLOWED[action][tier]


def readers(tier: str, action: str) -> set[str]:
    if action == "approve":
        return READS[tier] | {"appeal_officer"}
    return READS[tier]


def cells():
    return [(tier, action) for tier in TIERS for action in ACTIONS]


def ids(cell) -> str:
    return f"{cell[0]}-{cell[1]}"


def roles_in_order(tier: str, action: str) -> list[str]:
    """Refusals first (they change nothing, so one case serves them all), then each role
    that succeeds, on a case of its own."""
    allowed = expected_roles(tier, action)
    return [r for r in ROLES if r not in allowed] + [r for r in ROLES if r in allowed]


def walk(tier: str, action: str, attempt, outcome) -> None:
    """Try every role; `attempt(case, role)` does it through a door, `outcome` names it."""
    allowed = expected_roles(tier, action)
    case = build(tier, action)
    for role in roles_in_order(tier, action):
        if role in allowed and case.extra.get("used"):
            case = build(tier, action)
        got = attempt(case, role)
        want = outcome(tier, action, role)
        assert got == want, f"{role} {action} at {tier}: {got}, expected {want}"
        if role in allowed:
            case.extra["used"] = True
            if want in ("ok", 200, 201, 302) and role == "admin" and action in CORRECTED:
                event = TicketEvent.objects.filter(
                    ticket=case.ticket, kind=CORRECTED[action], actor=case.people["admin"]
                ).latest("id")
                assert event.data.get("correction") is True, event.data


# Through the services: the rule holds below every door, whoever may read the case.


def _service(case: Case, role: str):
    person, ticket = case.people[role], case.ticket
    calls = {
        "reply": lambda: services.ticket_add_message(ticket=ticket, author=person, body="Hi."),
        "evidence": lambda: services.ticket_add_evidence(
            ticket=ticket, actor=person, files=[png_upload()]
        ),
        "note": lambda: services.ticket_add_message(
            ticket=ticket, author=person, body="Note.", internal=True
        ),
        "claim": lambda: services.ticket_claim(ticket=ticket, actor=person),
        "assign": lambda: services.ticket_assign(ticket=ticket, actor=person, team="general"),
        "request_info": lambda: services.ticket_request_info(
            ticket=ticket, actor=person, body="Which UID?"
        ),
        "change_priority": lambda: services.ticket_change_priority(
            ticket=ticket, actor=person, priority="urgent", reason="Loss."
        ),
        "change_category": lambda: services.ticket_change_category(
            ticket=ticket, actor=person, category=category("fees"), reason="Fees."
        ),
        "merge": lambda: services.ticket_merge(ticket=ticket, actor=person, into=case.into),
        "propose": lambda: services.ticket_propose_resolution(
            ticket=ticket, actor=person, kind="explanation", summary="Because."
        ),
        "reject": lambda: services.ticket_reject(ticket=ticket, actor=person, reason="No."),
        "escalate": lambda: lifecycle.ticket_escalate(ticket=ticket, actor=person, reason="Up."),
        "approve": lambda: lifecycle.resolution_approve(
            resolution_id=case.resolution.pk, approver=person
        ),
        "vote": lambda: lifecycle.vote_cast(
            ticket=ticket, member=person, decision="uphold", rationale="Fine."
        ),
        "accept": lambda: lifecycle.resolution_accept(ticket=ticket, actor=person),
        "appeal": lambda: lifecycle.appeal_file(ticket=ticket, customer=person, reason="No."),
    }
    try:
        calls[case.extra.get("action")]()
    except NotAllowed:
        return "refused"
    except InvalidTransition:
        return 409
    return "ok"


def _service_outcome(tier, action, role):
    if role in expected_roles(tier, action):
        return CONFLICTS.get((action, tier), "ok")
    return "refused"


@pytest.mark.parametrize("cell", cells(), ids=ids)
def test_the_services_enforce_the_rule(cell):
    tier, action = cell

    def attempt(case, role):
        case.extra["action"] = action
        return _service(case, role)

    walk(tier, action, attempt, _service_outcome)


# Through the API


def _api(case: Case, role: str, action: str) -> int:
    client = APIClient()
    client.force_authenticate(case.people[role])
    base = f"/api/v1/tickets/{case.ticket.reference}/"
    posts = {
        "reply": ("messages/", {"body": "Hello."}),
        "note": ("messages/", {"body": "Note.", "internal": True}),
        "claim": ("claim/", {}),
        "assign": ("assign/", {"team": "general"}),
        "request_info": ("request-info/", {"body": "Which UID?"}),
        "change_priority": ("change-priority/", {"priority": "urgent", "reason": "Loss."}),
        "change_category": ("change-category/", {"category": "fees", "reason": "Fees."}),
        "merge": ("merge/", {"into": case.into.reference if case.into else ""}),
        "propose": ("propose-resolution/", {"kind": "explanation", "summary": "Because."}),
        "reject": ("reject/", {"reason": "No."}),
        "escalate": ("escalate/", {"reason": "Up."}),
        "approve": ("approve-resolution/", {}),
        "vote": ("vote/", {"decision": "uphold", "rationale": "Fine."}),
        "accept": ("accept-resolution/", {}),
        "appeal": ("appeal/", {"reason": "No."}),
    }
    if action == "evidence":
        response = client.post(base + "attachments/", {"file": png_upload()}, format="multipart")
    else:
        path, body = posts[action]
        response = client.post(base + path, body, format="json")
    return response.status_code


def _api_outcome(tier, action, role):
    if role in expected_roles(tier, action):
        return CONFLICTS.get(
            (action, tier), 201 if action in ("reply", "note", "evidence") else 200
        )
    return 403 if role in readers(tier, action) else 404


@pytest.mark.parametrize("cell", cells(), ids=ids)
def test_the_api_enforces_the_rule(cell):
    tier, action = cell
    walk(tier, action, lambda case, role: _api(case, role, action), _api_outcome)


# Through the web forms: the workbench for staff, the case page for customers, the
# approval inbox and the committee's vote page


CUSTOMER_PAGES = {"reply", "evidence", "accept", "appeal"}


def _web(client, case: Case, role: str, action: str) -> int:
    person, ref = case.people[role], case.ticket.reference
    if role == "customer":
        client.force_login(person)
    else:
        login_verified(client, person)
    staff_forms = {
        "reply": ("reply", {"reply-body": "Hello."}),
        "evidence": ("reply", {"reply-body": "See the file.", "reply-files": png_upload()}),
        "note": ("note", {"note-body": "Note."}),
        "claim": ("claim", {}),
        "assign": ("assign", {"assign-team": "general"}),
        "request_info": ("request_info", {"request_info-body": "Which UID?"}),
        "change_priority": ("priority", {"priority-priority": "urgent", "priority-reason": "L"}),
        "change_category": ("category", {"category-category": "fees", "category-reason": "F"}),
        # Merging and rejecting take a second step: the agent confirms what will happen.
        "merge": (
            "merge",
            {"merge-into": case.into.reference if case.into else "", "merge-confirmed": "on"},
        ),
        "propose": ("propose", {"propose-kind": "explanation", "propose-summary": "Because."}),
        "reject": ("reject", {"reject-reason": "No.", "reject-confirmed": "on"}),
        "escalate": ("escalate", {"escalate-reason": "Up."}),
    }
    if action == "approve":
        return client.post(reverse("staff:approve", args=[case.resolution.pk])).status_code
    if action == "vote":
        url = reverse("staff:committee_vote", args=[ref])
        return client.post(url, {"decision": "uphold", "rationale": "Fine."}).status_code
    if action == "accept":
        return client.post(reverse("escalation:accept", args=[ref])).status_code
    if action == "appeal":
        return client.post(reverse("escalation:appeal", args=[ref]), {"reason": "No."}).status_code
    if role == "customer" and action in CUSTOMER_PAGES:
        body = {"body": "Hello."}
        if action == "evidence":
            body["files"] = png_upload()
        return client.post(reverse("tickets:reply", args=[ref]), body).status_code
    name, data = staff_forms[action]
    return client.post(reverse(f"staff:{name}", args=[ref]), data).status_code


def _web_outcome(tier, action, role):
    if role in expected_roles(tier, action):
        return CONFLICTS.get((action, tier), 302)
    if role == "customer" and action not in CUSTOMER_PAGES:
        return 404  # staff pages do not exist for customers
    if action == "approve" and role not in ("appeal_officer", "admin"):
        return 404  # the approval inbox is for approvers only
    if action == "vote":
        return 404  # the vote page is for the panel's members only
    return 403 if role in readers(tier, action) else 404


@pytest.mark.parametrize("cell", cells(), ids=ids)
def test_the_web_forms_enforce_the_rule(client, cell):
    tier, action = cell
    walk(tier, action, lambda case, role: _web(client, case, role, action), _web_outcome)


# What the workbench shows: exactly the actions the rule allows the reader at this tier


WORKBENCH_FORMS = {
    "reply": 'id="reply-form"',
    "note": 'id="note-form"',
    "request_info": 'id="request_info-form"',
    "claim": 'id="claim-form"',
    "assign": 'id="action-assign"',
    "change_priority": 'id="action-priority"',
    "change_category": 'id="action-category"',
    "merge": 'id="action-merge"',
    "propose": 'id="action-propose"',
    "reject": 'id="action-reject"',
    "escalate": 'id="action-escalate"',
}


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("role", ["agent", "appeal_officer", "committee", "admin"])
def test_the_workbench_shows_only_what_the_rule_allows(client, tier, role):
    case = build(tier, "reply")
    login_verified(client, case.people[role])
    response = client.get(reverse("staff:ticket", args=[case.ticket.reference]))
    if role not in READS[tier]:
        assert response.status_code == 404
        return
    page = response.content.decode()
    shown = {action for action, marker in WORKBENCH_FORMS.items() if marker in page}
    assert shown == {a for a in WORKBENCH_FORMS if role in ALLOWED[a][tier]}
    # An admin holds none of the tiers' working roles: whatever they do is a correction.
    assert ('id="correction-notice"' in page) == (role == "admin")


def test_an_admins_correction_is_recorded_as_such_and_an_agents_work_is_not():
    case = build(S, "claim")
    services.ticket_claim(ticket=case.ticket, actor=case.people["agent"])
    services.ticket_change_priority(
        ticket=case.ticket, actor=case.people["admin"], priority="urgent", reason="VIP."
    )
    events = {e.kind: e.data for e in case.ticket.events.exclude(kind=EventKind.ACCESS)}
    assert "correction" not in events[EventKind.ASSIGNED]
    assert events[EventKind.PRIORITY]["correction"] is True


def test_an_agent_of_every_team_cannot_take_over_a_committee_case():
    """The issue's first hole: 13 of 14 actions succeeded for an agent on a seated panel."""
    for action in ACTIONS:
        case = build(C, action)
        case.extra["action"] = action
        assert _service(case, "agent") == "refused", action
        assert _api(case, "agent", action) == 404, action  # not even readable
        case.ticket.refresh_from_db()
        assert case.ticket.assignee is None and case.ticket.tier == C, action
        assert not case.ticket.messages.exists(), action


def test_only_those_who_work_support_take_a_complaint_for_a_customer(client):
    customer = CustomerFactory()
    body = {
        "customer": customer.email,
        "category": "other",
        "subject": "Called in",
        "description": "The customer phoned about a missing bonus.",
        "channel": "phone",
    }
    people = {
        "agent": AgentFactory(),
        "appeal_officer": UserFactory(role="appeal_officer", is_staff=True),
        "committee": UserFactory(role="committee", is_staff=True),
        "admin": UserFactory(role="admin", is_staff=True),
    }
    for role, person in people.items():
        api = APIClient()
        api.force_authenticate(person)
        response = api.post("/api/v1/tickets/", body, format="json")
        may = role in ("agent", "admin")
        assert response.status_code == (201 if may else 403), role
        login_verified(client, person)
        assert client.get(reverse("staff:file")).status_code == (200 if may else 404), role
    filed = Ticket.objects.get(filed_by=people["admin"])
    assert filed.events.get(kind=EventKind.FILED).data["correction"] is True
    assert (
        "correction"
        not in Ticket.objects.get(filed_by=people["agent"]).events.get(kind=EventKind.FILED).data
    )
