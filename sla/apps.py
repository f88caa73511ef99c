from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SLAConfig(AppConfig):
    """Response deadlines: policies, business calendars, the pure math and the case's clock."""

    name = "sla"
    verbose_name = _("Deadlines (SLA)")

    def ready(self):
        # Every process's cached PolicyBook (sla.clock) reloads after any of these changes.
        from django.db.models.signals import post_delete, post_save

        from sla import models
        from sla.clock import changed

        for model in (
            models.SLAPolicy,
            models.BusinessCalendar,
            models.BusinessHours,
            models.Holiday,
        ):
            post_save.connect(changed, sender=model, dispatch_uid=f"policy-book-{model.__name__}")
            post_delete.connect(changed, sender=model, dispatch_uid=f"policy-book-{model.__name__}")
