"""Calls recorded in the outbox before the mail tasks moved to the mail app still go.

The tasks of tickets.tasks and escalation.tasks that sent mail are now mail.tasks.notify
with the event they report; pending calls are rewritten to it. Calls whose old arguments
do not name the new event's ids (a customer mail by template) are left as they are: the
relay shows them in the admin as an unknown task.
"""

from django.db import migrations

_EVENTS = {
    "tickets.tasks.send_ticket_received": "ticket_filed",
    "tickets.tasks.send_staff_reply": "staff_replied",
    "escalation.tasks.notify_escalated": "escalated",
    "escalation.tasks.alert_admins": "last_tier_breached",
    "escalation.tasks.notify_warning": "deadline_close",
}


def rewrite(apps, schema_editor):
    Message = apps.get_model("outbox", "Message")
    for message in Message.objects.filter(sent_at=None, task__in=list(_EVENTS)):
        message.args = [_EVENTS[message.task], *message.args]
        message.task = "mail.tasks.notify"
        message.save(update_fields=["task", "args"])


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0001_notifications_inbound_preferences_bounces"),
        ("outbox", "0001_initial"),
    ]

    operations = [migrations.RunPython(rewrite, migrations.RunPython.noop)]
