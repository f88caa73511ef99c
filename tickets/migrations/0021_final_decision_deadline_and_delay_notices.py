"""The regulator's clock: a final-decision deadline on every case, and delay notices.

Cases filed before it get the default deadline from their filing time; those already
decided (resolved, rejected or closed) get their decision time, the best the rows tell.
"""

from datetime import timedelta

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

OPEN = ["new", "open", "pending_customer", "resolution_proposed"]


def deadlines_for_filed_cases(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    days = timedelta(days=settings.REDRESS_FINAL_DECISION_DAYS)
    warn = timedelta(days=settings.REDRESS_FINAL_DECISION_WARNING_DAYS)
    now = timezone.now()
    Ticket.objects.filter(final_decision_due_at__isnull=True).update(
        final_decision_due_at=F("created_at") + days
    )
    Ticket.objects.exclude(status__in=OPEN).filter(final_decision_at__isnull=True).update(
        final_decision_at=Coalesce("resolved_at", "closed_at", "updated_at")
    )
    Ticket.objects.filter(status__in=OPEN, final_decision_due_at__gt=now).update(
        final_decision_warning_at=Greatest(F("final_decision_due_at") - warn, models.Value(now))
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_team_leads'),
        ('sla', '0001_initial'),
        ('tickets', '0020_event_kinds_sent_back'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DelayNotice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.TextField(verbose_name='reason')),
                ('expected_by', models.DateField(verbose_name='decision expected by')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='sent at')),
            ],
            options={
                'verbose_name': 'delay notice',
                'verbose_name_plural': 'delay notices',
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.AddField(
            model_name='category',
            name='final_decision_days',
            field=models.PositiveSmallIntegerField(blank=True, help_text='Leave empty for the default (REDRESS_FINAL_DECISION_DAYS, two months).', null=True, verbose_name='final decision within (days)'),
        ),
        migrations.AddField(
            model_name='category',
            name='final_decision_pauses',
            field=models.BooleanField(default=False, help_text="When ticked, the time between a request for information and the customer's answer is added to the deadline.", verbose_name='waiting on the customer extends the final-decision deadline'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='final_decision_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='final decision at'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='final_decision_due_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='final decision due'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='final_decision_warning_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='ticketevent',
            name='kind',
            field=models.CharField(choices=[('filed', 'Ticket filed'), ('message', 'Message added'), ('note', 'Internal note added'), ('evidence', 'Evidence added'), ('status', 'Status changed'), ('tier', 'Tier changed'), ('assigned', 'Assigned'), ('priority', 'Priority changed'), ('category', 'Category changed'), ('sla', 'Deadline missed'), ('resolution', 'Resolution proposed'), ('approval', 'Compensation approved'), ('answer', 'Customer answered the proposal'), ('appeal', 'Appeal filed'), ('panel', 'Panel drawn'), ('vote', 'Vote cast'), ('decision', 'Decision published'), ('merged', 'Merged'), ('delay_notice', 'Delay notice sent'), ('decision_warning', 'Final-decision deadline near'), ('rated', 'Rating given')], max_length=20, verbose_name='what'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('final_decision_warning_at__isnull', False)), fields=['final_decision_warning_at'], name='ticket_decision_warning'),
        ),
        migrations.AddField(
            model_name='delaynotice',
            name='recorded_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='delaynotice',
            name='ticket',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='delay_notices', to='tickets.ticket'),
        ),
        migrations.AddIndex(
            model_name='ticketevent',
            index=models.Index(fields=['created_at'], name='event_time'),
        ),
        migrations.AddIndex(
            model_name='delaynotice',
            index=models.Index(fields=['ticket', 'created_at'], name='delaynotice_ticket_time'),
        ),
        migrations.RunPython(deadlines_for_filed_cases, migrations.RunPython.noop),
    ]
