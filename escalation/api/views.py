"""The upper tiers' actions in the API, on the case's own paths (`tickets/{reference}/…`).

Registered beside tickets.api's TicketViewSet under the same prefix (config/api_urls.py):
the case's endpoints are there, these call escalation's services.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from escalation import case_file
from escalation import services as lifecycle
from escalation.models import Verdict
from tickets.api import serializers as s
from tickets.api.views import CaseViewSet, case_action
from tickets.exceptions import InvalidTransition
from tickets.models import Resolution


class VoteInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Verdict.values)
    rationale = serializers.CharField(max_length=20000)
    remedy = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")


class PublishDecisionInput(serializers.Serializer):
    """The member writing the decision: the published reasons and remedy, one text each."""

    rationale = serializers.CharField(max_length=20000)
    remedy = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")


class CaseLifecycleViewSet(CaseViewSet):
    @extend_schema(responses={(200, "application/zip"): bytes})
    @action(detail=True, methods=["get"], url_path="case-file")
    def case_file(self, request, reference=None):
        """The whole case as a ZIP with a SHA-256 manifest, for what the caller may see."""
        return case_file.download(self.get_object(), request.user)


def _accept(*, ticket, actor):
    lifecycle.resolution_accept(ticket=ticket, actor=actor)


def _appeal(*, ticket, actor, reason):
    lifecycle.appeal_file(ticket=ticket, customer=actor, reason=reason)


def _vote(*, ticket, actor, **data):
    lifecycle.vote_cast(ticket=ticket, member=actor, **data)


def _publish(*, ticket, actor, **data):
    lifecycle.decision_publish(ticket=ticket, member=actor, **data)


def _pending(ticket) -> Resolution:
    pending = ticket.resolutions.filter(state=Resolution.State.PENDING_APPROVAL).first()
    if pending is None:
        raise InvalidTransition(_("No proposal of this case is waiting for approval."))
    return pending


def _approve(*, ticket, actor):
    lifecycle.resolution_approve(resolution_id=_pending(ticket).pk, approver=actor)


def _send_back(*, ticket, actor, reason):
    lifecycle.resolution_send_back(resolution_id=_pending(ticket).pk, approver=actor, reason=reason)


for _name, _input, _call in (
    ("escalate", s.ReasonInput, lifecycle.ticket_escalate),
    ("accept_resolution", s.EmptyInput, _accept),
    ("appeal", s.ReasonInput, _appeal),
    ("vote", VoteInput, _vote),
    ("publish_decision", PublishDecisionInput, _publish),
    ("approve_resolution", s.EmptyInput, _approve),
    ("send_back_resolution", s.ReasonInput, _send_back),
):
    setattr(CaseLifecycleViewSet, _name, case_action(_name, _input, _call))
