"""A ticket's SLA policy now lives in the sla app (same table): Django's state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0001_initial"),
        ("tickets", "0011_search_beside_ticket_fewer_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="ticket",
                    name="sla_policy",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="sla.slapolicy",
                        verbose_name="SLA policy",
                    ),
                ),
            ],
        ),
    ]
