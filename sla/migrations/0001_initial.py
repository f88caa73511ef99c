"""The SLA tables move here from escalation, in Django's state only: the database keeps them.

The tables keep their escalation_* names (Meta.db_table), so no row is copied. The content
types are renamed, so permissions given to roles and the admin's history stay attached.
"""

import datetime

import django.db.models.deletion
import django.db.models.functions.comparison
from django.db import migrations, models

import sla.models

MOVED = ["businesscalendar", "businesshours", "holiday", "slapolicy", "slarecord"]


def _relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):
    _relabel(apps, "escalation", "sla")


def backwards(apps, schema_editor):
    _relabel(apps, "sla", "escalation")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("escalation", "0005_fewer_record_indexes"),
        ("tickets", "0011_search_beside_ticket_fewer_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='BusinessCalendar',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True, verbose_name='name')),
                        ('time_zone', models.CharField(default='UTC', max_length=64, validators=[sla.models.validate_time_zone], verbose_name='time zone')),
                    ],
                    options={
                        'verbose_name': 'business calendar',
                        'verbose_name_plural': 'business calendars',
                        'db_table': 'escalation_businesscalendar',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='BusinessHours',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('weekday', models.PositiveSmallIntegerField(choices=[(0, 'Monday'), (1, 'Tuesday'), (2, 'Wednesday'), (3, 'Thursday'), (4, 'Friday'), (5, 'Saturday'), (6, 'Sunday')], verbose_name='day')),
                        ('opens', models.TimeField(verbose_name='opens')),
                        ('closes', models.TimeField(help_text='00:00 means midnight at the end of the day.', verbose_name='closes')),
                        ('calendar', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='hours', to='sla.businesscalendar')),
                    ],
                    options={
                        'verbose_name': 'business hours',
                        'verbose_name_plural': 'business hours',
                        'db_table': 'escalation_businesshours',
                        'ordering': ['weekday', 'opens'],
                    },
                ),
                migrations.CreateModel(
                    name='SLAPolicy',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('tier', models.CharField(choices=[('support', 'Support'), ('appeal_center', 'Appeal Center'), ('dispute_committee', 'Dispute Committee')], max_length=24, verbose_name='tier')),
                        ('priority', models.CharField(blank=True, choices=[('low', 'Low'), ('normal', 'Normal'), ('high', 'High'), ('urgent', 'Urgent')], help_text='Leave empty for any priority.', max_length=10, verbose_name='priority')),
                        ('first_response_target', models.DurationField(verbose_name='first reply within')),
                        ('next_response_target', models.DurationField(verbose_name='next reply within')),
                        ('resolution_target', models.DurationField(verbose_name='resolution within')),
                        ('warning_percent', models.PositiveSmallIntegerField(default=75, help_text='The assignee is warned once this share of a target has passed.', verbose_name='warn at (percent of the target)')),
                        ('calendar', models.ForeignKey(blank=True, help_text='Leave empty for 24/7.', null=True, on_delete=django.db.models.deletion.PROTECT, to='sla.businesscalendar', verbose_name='business calendar')),
                        ('category', models.ForeignKey(blank=True, help_text='Leave empty for any category.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='sla_policies', to='tickets.category', verbose_name='category')),
                    ],
                    options={
                        'verbose_name': 'SLA policy',
                        'verbose_name_plural': 'SLA policies',
                        'db_table': 'escalation_slapolicy',
                        'ordering': ['tier', 'category__sort_order', 'priority'],
                    },
                ),
                migrations.CreateModel(
                    name='SLARecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('tier', models.CharField(choices=[('support', 'Support'), ('appeal_center', 'Appeal Center'), ('dispute_committee', 'Dispute Committee')], max_length=24)),
                        ('target', models.CharField(choices=[('first_response', 'First reply'), ('next_response', 'Next reply'), ('resolution', 'Resolution')], max_length=20)),
                        ('outcome', models.CharField(choices=[('met', 'Met'), ('breached', 'Breached'), ('warned', 'Warning sent')], max_length=10)),
                        ('due_at', models.DateTimeField()),
                        ('at', models.DateTimeField()),
                        ('policy', models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='sla.slapolicy')),
                        ('ticket', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='sla_records', to='tickets.ticket')),
                    ],
                    options={
                        'verbose_name': 'SLA record',
                        'verbose_name_plural': 'SLA records',
                        'db_table': 'escalation_slarecord',
                        'ordering': ['at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='Holiday',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(verbose_name='date')),
                        ('name', models.CharField(blank=True, max_length=100, verbose_name='name')),
                        ('calendar', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='holidays', to='sla.businesscalendar')),
                    ],
                    options={
                        'verbose_name': 'holiday',
                        'verbose_name_plural': 'holidays',
                        'db_table': 'escalation_holiday',
                        'ordering': ['date'],
                        'constraints': [models.UniqueConstraint(fields=('calendar', 'date'), name='holiday_once_per_calendar')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='slapolicy',
                    constraint=models.UniqueConstraint(django.db.models.functions.comparison.Coalesce('category', models.Value(0)), models.F('priority'), models.F('tier'), name='sla_policy_one_rule_per_scope', violation_error_message='A policy for this tier, category and priority exists already; edit that one.'),
                ),
                migrations.AddConstraint(
                    model_name='slapolicy',
                    constraint=models.CheckConstraint(condition=models.Q(('first_response_target__gt', datetime.timedelta(0)), ('next_response_target__gt', datetime.timedelta(0)), ('resolution_target__gt', datetime.timedelta(0))), name='sla_policy_targets_positive', violation_error_message='Every target must be longer than zero.'),
                ),
                migrations.AddConstraint(
                    model_name='slapolicy',
                    constraint=models.CheckConstraint(condition=models.Q(('warning_percent__gte', 1), ('warning_percent__lte', 99)), name='sla_policy_warning_below_100', violation_error_message='Warn at between 1 and 99 percent of the target.'),
                ),
                migrations.AddIndex(
                    model_name='slarecord',
                    index=models.Index(fields=['ticket', 'at'], name='slarecord_ticket_time'),
                ),
                migrations.AddIndex(
                    model_name='slarecord',
                    index=models.Index(fields=['outcome', 'at'], name='slarecord_outcome_time'),
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
