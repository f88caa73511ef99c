"""The customer's side of the upper tiers: answer a proposal, appeal, take the case file away.

These pages sit under the case's own URLs (/tickets/<reference>/…), and the committee's
decision is shown on the case page itself through `decision_part` (tickets.case_page).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from escalation import case_file, selectors
from escalation import services as lifecycle
from tickets import selectors as ticket_selectors
from tickets.case_page import case_page
from tickets.forms import AppealForm
from tickets.models import Ticket
from tickets.web import add_service_errors


def decision_part(request, ticket: Ticket) -> dict | None:
    """The committee's published decision on the customer's case page (tickets.case_page)."""
    decision = selectors.published_decision(ticket)
    if decision is None:
        return None
    return {"template": "escalation/partials/_decision.html", "decision": decision}


@login_required
@require_POST
def accept_resolution(request, reference):
    ticket = ticket_selectors.ticket_get_for_user(request.user, reference)
    lifecycle.resolution_accept(ticket=ticket, actor=request.user)
    messages.success(request, _("Thank you. Your case is resolved."))
    return redirect("tickets:detail", reference=ticket.reference)


@login_required
@require_POST
@sensitive_post_parameters()
def appeal(request, reference):
    """Dispute a proposal or appeal a rejection, with a reason and optional new evidence."""
    ticket = ticket_selectors.ticket_get_for_user(request.user, reference)
    form = AppealForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            lifecycle.appeal_file(
                ticket=ticket,
                customer=request.user,
                reason=form.cleaned_data["reason"],
                files=form.cleaned_data["files"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            ticket.refresh_from_db()
            messages.success(
                request,
                _("Your appeal is filed. The %(tier)s now reviews your case.")
                % {"tier": ticket.get_tier_display()},
            )
            return redirect("tickets:detail", reference=ticket.reference)
    return case_page(request, ticket, appeal_form=form, status=400)


@login_required
def case_file_download(request, reference):
    """The whole case as a ZIP with a SHA-256 manifest, for what this user may see."""
    ticket = ticket_selectors.ticket_get_for_user(request.user, reference)
    return case_file.download(ticket, request.user)
