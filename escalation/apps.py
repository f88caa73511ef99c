from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = _("Escalation")

    def ready(self):
        # The customer's case page (tickets, below) shows the committee's decision this way,
        # and the one read scope (tickets.selectors) learns whom the committee reads.
        from escalation.case_views import decision_part
        from escalation.selectors import committee_reads
        from tickets.case_page import add_part
        from tickets.selectors import add_reader

        add_part(decision_part)
        add_reader(committee_reads)
