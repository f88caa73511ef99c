from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Roll-ups, reports, satisfaction ratings and the records a regulator asks for."""

    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # The customer's case page (tickets, below) asks for a rating this way.
        from reports.views import rating_part
        from tickets.case_page import add_part

        add_part(rating_part)
