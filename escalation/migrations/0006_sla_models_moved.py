"""The SLA policies, calendars and records moved to the sla app (sla 0001): state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0005_fewer_record_indexes"),
        ("tickets", "0012_sla_policy_in_sla"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="SLARecord"),
                migrations.DeleteModel(name="SLAPolicy"),
                migrations.DeleteModel(name="Holiday"),
                migrations.DeleteModel(name="BusinessHours"),
                migrations.DeleteModel(name="BusinessCalendar"),
            ],
        ),
    ]
