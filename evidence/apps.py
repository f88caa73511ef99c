from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    """Checks of what customers submit, whatever the door: files, chains, fields, secrets."""

    name = "evidence"
    verbose_name = _("Evidence checks")
