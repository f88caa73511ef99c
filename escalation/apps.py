from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = _("Escalation")

    def ready(self):
        # The customer's case page (tickets, below) shows the committee's decision this way.
        from escalation.case_views import decision_part
        from tickets.case_page import add_part

        add_part(decision_part)
