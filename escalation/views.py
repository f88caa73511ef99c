"""Staff pages of the upper tiers: the four-eyes approval inbox and the committee's panels.

The customer's side (accept, appeal, the case file) is in escalation/case_views.py.
Thin like tickets.views: parse, call one service, render. Who may open a page is
decided here and answered with 404 otherwise (never reveal what you may not see): the
approval inbox is for appeal officers and admins, the panel inbox for committee members,
and a case's vote page only for the members who sit on its panel. The services check
again, and their NotAllowed / InvalidTransition become the 403 / 409 page
(config.web_errors).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import roles
from accounts.access import staff_page
from escalation import services as lifecycle
from escalation.forms import DecisionForm, SendBackForm, VoteForm
from escalation.models import Panel, PanelSeat, Verdict, Vote
from tickets import authority
from tickets import selectors as ticket_selectors
from tickets.labels import staff_timeline
from tickets.models import EvidenceField, Resolution, Ticket
from tickets.web import add_service_errors

RECENT_DECISIONS = 20


def _require_any_role(user, *allowed: str) -> None:
    if not (user.is_superuser or any(roles.has_role(user, role) for role in allowed)):
        raise Http404


# The approval inbox (four eyes)


@staff_page
@require_GET
def approvals(request):
    """Compensation proposals above the limit, waiting for someone other than the proposer."""
    _require_any_role(request.user, roles.APPEAL_OFFICER, roles.ADMIN)
    return _approvals_page(request)


def _approvals_page(request, refused: tuple[int, SendBackForm] | None = None, status=200):
    """The inbox; `refused` is a send-back form to show again with its errors, by proposal."""
    pending = (
        Resolution.objects.filter(
            state=Resolution.State.PENDING_APPROVAL,
            ticket__in=ticket_selectors.tickets_visible_to(request.user).values("pk"),
        )
        .select_related("ticket", "asset", "proposed_by", "reference_price")
        .order_by("created_at", "id")
    )
    pending = list(pending)
    for resolution in pending:
        # Below the committee only: a proposal left waiting there is the panel's to decide.
        resolution.can_approve = (
            authority.grant(request.user, resolution.ticket.tier, authority.APPROVE) is not None
        )
    rows = [
        (r, refused[1] if refused and refused[0] == r.pk else SendBackForm(prefix=f"back-{r.pk}"))
        for r in pending
    ]
    return render(request, "staff/approvals/inbox.html", {"rows": rows}, status=status)


@staff_page
@require_POST
def approve(request, resolution_id: int):
    _require_any_role(request.user, roles.APPEAL_OFFICER, roles.ADMIN)
    resolution = get_object_or_404(
        Resolution.objects.select_related("ticket"),
        pk=resolution_id,
        ticket__in=ticket_selectors.tickets_visible_to(request.user).values("pk"),
    )
    lifecycle.resolution_approve(resolution_id=resolution.pk, approver=request.user)
    messages.success(
        request,
        _("Approved. The customer of %(ref)s now sees the proposal and can accept or dispute it.")
        % {"ref": resolution.ticket.reference},
    )
    return redirect("staff:approvals")


@staff_page
@require_POST
def send_back(request, resolution_id: int):
    """The second person returns the proposal to its author, saying what to change."""
    _require_any_role(request.user, roles.APPEAL_OFFICER, roles.ADMIN)
    resolution = get_object_or_404(
        Resolution.objects.select_related("ticket", "proposed_by"), pk=resolution_id
    )
    form = SendBackForm(request.POST, prefix=f"back-{resolution.pk}")
    form.is_valid()  # one optional text field: the service judges it
    try:
        lifecycle.resolution_send_back(
            resolution_id=resolution.pk, approver=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _approvals_page(request, refused=(resolution.pk, form), status=400)
    messages.success(
        request,
        _("Sent back to %(name)s with your reason. The customer of %(ref)s sees nothing of it.")
        % {"name": resolution.proposed_by.display_name, "ref": resolution.ticket.reference},
    )
    return redirect("staff:approvals")


# The committee: the member's panels, and one case's vote page


@staff_page
@require_GET
def panels(request):
    """The cases this member sits on: open ones first, with whether their vote is in."""
    _require_any_role(request.user, roles.COMMITTEE)
    seats = (
        PanelSeat.objects.filter(member=request.user)
        .select_related("panel__ticket__category")
        .annotate(
            voted=Exists(Vote.objects.filter(panel=OuterRef("panel"), member=OuterRef("member")))
        )
    )
    sitting = seats.filter(panel__state__in=[Panel.State.SITTING, Panel.State.DRAFTING]).order_by(
        "panel__created_at"
    )
    decided = seats.filter(panel__state=Panel.State.DECIDED).order_by("-panel__decided_at")
    return render(
        request,
        "staff/committee/inbox.html",
        {"sitting": sitting, "decided": decided[:RECENT_DECISIONS]},
    )


def _seat(request, reference: str) -> tuple[Ticket, Panel]:
    """The case and the panel this member sits on; 404 for everyone else, staff included."""
    ticket = ticket_selectors.ticket_get_for_user(request.user, reference)
    panel = (
        Panel.objects.filter(ticket=ticket, seats__member=request.user)
        .order_by("-created_at")
        .first()
    )
    if panel is None:
        raise Http404
    return ticket, panel


def _case_context(
    request,
    ticket: Ticket,
    panel: Panel,
    form: VoteForm | None = None,
    decision_form: DecisionForm | None = None,
) -> dict:
    user = request.user
    drafting = panel.state == Panel.State.DRAFTING
    if decision_form is None and drafting and panel.drafter_id == user.pk:
        decision_form = DecisionForm(initial={"rationale": panel.rationale, "remedy": panel.remedy})
    my_vote = panel.votes.filter(member=user).first()
    if form is None and panel.state == Panel.State.SITTING:
        initial = (
            {"decision": my_vote.decision, "rationale": my_vote.rationale, "remedy": my_vote.remedy}
            if my_vote
            else {}
        )
        form = VoteForm(initial=initial)
    votes_cast = panel.votes.count()
    # Members vote independently: the selector hides the others' votes until the decision.
    events = ticket_selectors.ticket_events_for(user, ticket)
    majority_votes = (
        panel.votes.filter(decision=panel.decision).select_related("member").order_by("created_at")
        if drafting
        else []
    )
    return {
        "drafting": drafting,
        "decision_form": decision_form if drafting and panel.drafter_id == user.pk else None,
        # The drafter reads the other majority members' reasons while writing the text.
        "majority_votes": majority_votes,
        "in_majority": bool(my_vote) and my_vote.decision == panel.decision,
        "ticket": ticket,
        "panel": panel,
        "form": form if panel.state == Panel.State.SITTING else None,
        "verdicts": Verdict.choices,
        "my_vote": my_vote,
        "votes_cast": votes_cast,
        # Everyone voted and no decision: members revise until a majority emerges.
        "no_majority": panel.state == Panel.State.SITTING and votes_cast >= panel.size,
        "conversation": ticket_selectors.ticket_messages_for(user, ticket),
        "attachments": ticket_selectors.ticket_attachments_for(user, ticket),
        "timeline": staff_timeline(events),
        "resolutions": ticket.resolutions.select_related("asset", "proposed_by", "approved_by"),
        "appeals": ticket.appeals.order_by("created_at", "id"),
        "evidence_fields": [
            (field.value, field.label, getattr(ticket, field.value))
            for field in EvidenceField
            if getattr(ticket, field.value) not in (None, "")
        ],
    }


@staff_page
@require_GET
def case(request, reference):
    """The whole case file on one page, with this member's vote."""
    ticket, panel = _seat(request, reference)
    return render(request, "staff/committee/case.html", _case_context(request, ticket, panel))


@staff_page
@require_POST
def vote(request, reference):
    ticket, panel = _seat(request, reference)
    form = VoteForm(request.POST)
    form.is_valid()  # every field is optional text: this only fills cleaned_data
    data = form.cleaned_data
    try:
        lifecycle.vote_cast(
            ticket=ticket,
            member=request.user,
            decision=data["decision"],
            rationale=data["rationale"],
            remedy=data["remedy"],
        )
    except ValidationError as error:
        add_service_errors(form, error)
        context = _case_context(request, ticket, panel, form=form)
        return render(request, "staff/committee/case.html", context, status=400)
    messages.success(request, _vote_outcome(panel, request.user))
    return redirect(reverse("staff:committee_case", args=[ticket.reference]))


def _vote_outcome(panel: Panel, member) -> str:
    """What the member's vote led to, in their own terms: a dissent did not decide anything."""
    panel.refresh_from_db(fields=["state", "decision", "drafter"])
    if panel.state != Panel.State.DRAFTING:
        return _("Your vote is recorded. You can revise it until a majority agrees.")
    if panel.drafter_id == member.pk:
        return _(
            "Your vote is recorded and a majority agrees with it. Write the decision as it "
            "is published to the customer."
        )
    mine = panel.votes.get(member=member)
    if mine.decision == panel.decision:
        return _(
            "Your vote is recorded and a majority agrees. %(name)s writes the published decision."
        ) % {"name": panel.drafter.display_name}
    return _(
        "Your vote is recorded. The majority decided otherwise; your dissent is kept in the "
        "case's record."
    )


@staff_page
@require_POST
def publish(request, reference):
    """The member writing the decision publishes it: one text, one remedy. It is final."""
    ticket, panel = _seat(request, reference)
    form = DecisionForm(request.POST)
    form.is_valid()  # optional text fields: this only fills cleaned_data
    try:
        lifecycle.decision_publish(
            ticket=ticket,
            member=request.user,
            rationale=form.cleaned_data["rationale"],
            remedy=form.cleaned_data["remedy"],
        )
    except ValidationError as error:
        add_service_errors(form, error)
        context = _case_context(request, ticket, panel, decision_form=form)
        return render(request, "staff/committee/case.html", context, status=400)
    messages.success(request, _("The decision is published to the customer. It is final."))
    return redirect(reverse("staff:committee_case", args=[ticket.reference]))
