from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "mail"
    verbose_name = _("Mail")

    def ready(self):
        from anymail.signals import inbound

        # The profile page (accounts, below) shows the mail preferences this way.
        from accounts.profile import add_part
        from mail import webhooks
        from mail.views import preferences_part

        add_part(preferences_part)
        # A provider's inbound webhook (django-anymail) spools like every other source.
        inbound.connect(webhooks.spool_inbound, dispatch_uid="mail.spool_inbound")
