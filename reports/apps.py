from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Roll-ups, reports, satisfaction ratings and the records a regulator asks for."""

    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # The customer's case page (tickets, below) asks for a rating this way.
        from django.contrib.auth.signals import user_logged_in

        from reports.views import rating_part, remember_reader
        from tickets.case_page import add_part

        add_part(rating_part)
        user_logged_in.connect(remember_reader, dispatch_uid="reports.remember_reader")
