"""Records are looked up by (ticket, time): the plain foreign-key indexes go."""


import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('escalation', '0004_warning_label'),
        ('tickets', '0010_queue_status_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='slarecord',
            name='policy',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='escalation.slapolicy'),
        ),
        migrations.AlterField(
            model_name='slarecord',
            name='ticket',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='sla_records', to='tickets.ticket'),
        ),
    ]
