from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Live chat")

    def ready(self):
        # A chat that became a case shows on that case's page (tickets.case_page); its
        # transcript and files are the case's first message and evidence, so the case file
        # holds them already.
        from chat.views import case_chat_part
        from tickets.case_page import add_part

        add_part(case_chat_part)
