from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Live chat")

    def ready(self):
        # A chat that became a case shows on that case's page (tickets.case_page), and its
        # record and audit trail are in the case's file (escalation.case_file); its
        # transcript and files are the case's first message and evidence besides.
        from chat.case_file import chat_section
        from chat.views import case_chat_part
        from escalation.case_file import add_section
        from tickets.case_page import add_part

        add_part(case_chat_part)
        add_section(chat_section)
