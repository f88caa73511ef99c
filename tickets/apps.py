from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        # Every process's copy of the assets and networks (tickets.catalogue) is read anew
        # after any change of them.
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from tickets.catalogue import changed
        from tickets.models import Asset, Network

        for model in (Asset, Network):
            post_save.connect(changed, sender=model, dispatch_uid=f"catalogue-{model.__name__}")
            post_delete.connect(changed, sender=model, dispatch_uid=f"catalogue-{model.__name__}")
        m2m_changed.connect(changed, sender=Network.assets.through, dispatch_uid="catalogue-m2m")
