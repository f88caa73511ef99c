"""The upper tiers' parts of the case's detail in the API: its appeals and the decision.

Registered into tickets.api's detail at start-up (escalation/apps.py), since tickets, below,
cannot import them.
"""

from rest_framework import serializers

from escalation import selectors
from escalation.models import Appeal, Panel, Verdict


class AppealOutput(serializers.ModelSerializer):
    filed_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Appeal
        fields = ["from_tier", "to_tier", "reason", "state", "filed_at", "closed_at"]
        read_only_fields = fields


class DecisionOutput(serializers.ModelSerializer):
    """The Dispute Committee's published decision on the case (read from the case itself),
    or null while there is none: final, with its one reasoned text and one remedy."""

    decision = serializers.ChoiceField(choices=Verdict.choices, read_only=True)
    decided_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Panel
        fields = ["decision", "rationale", "remedy", "decided_at"]
        read_only_fields = fields

    def to_representation(self, ticket):
        if "panels" in getattr(ticket, "_prefetched_objects_cache", {}):
            # Read already (tickets.api.serializers.new_case_context: a new case has none).
            decided = [p for p in ticket.panels.all() if p.state == Panel.State.DECIDED]
            panel = max(decided, key=lambda p: p.decided_at, default=None)
        else:
            panel = selectors.published_decision(ticket)
        return None if panel is None else super().to_representation(panel)


def appeals_field() -> serializers.Field:
    return AppealOutput(many=True, read_only=True)  # the case's related `appeals`


def decision_field() -> serializers.Field:
    return DecisionOutput(source="*", read_only=True, allow_null=True)
