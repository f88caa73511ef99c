from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """The staff side of tiers 1 and 2: queue, workbench, bulk actions, canned replies."""

    name = "desk"
    verbose_name = _("Desk")
