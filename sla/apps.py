from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SLAConfig(AppConfig):
    """Response deadlines: policies, business calendars, the pure math and the case's clock."""

    name = "sla"
    verbose_name = _("Deadlines (SLA)")
