from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = _("Escalation")

    def ready(self):
        # The customer's case page (tickets, below) shows the committee's decision this way,
        # the one read scope (tickets.selectors) learns whom the committee reads, and the
        # case's detail in the API carries the appeals and the decision.
        from escalation.api.serializers import appeals_field, decision_field
        from escalation.case_views import decision_part
        from escalation.models import Panel, Verdict
        from escalation.selectors import committee_reads
        from tickets.api.serializers import add_detail_field
        from tickets.case_page import add_part
        from tickets.labels import add_event_codes
        from tickets.selectors import add_reader

        add_part(decision_part)
        add_reader(committee_reads)
        add_detail_field("appeals", appeals_field, reads=("appeals",))
        add_detail_field("decision", decision_field, reads=("panels",))
        # The staff audit trail words the panel's codes.
        add_event_codes("decision", dict(Verdict.choices))
        add_event_codes("state", {**dict(Panel.State.choices), "no_majority": _("no majority yet")})
