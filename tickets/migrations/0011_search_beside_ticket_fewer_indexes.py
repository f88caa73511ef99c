"""Search words move beside the ticket, and the ticket drops indexes no query needs.

Every escalation rewrites each index of the ticket row, so the GIN index moves to its own
table (copied, not rebuilt from the text) and indexes other indexes already lead with go.
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models



def copy_vectors(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "INSERT INTO tickets_ticketsearch (ticket_id, vector) "
            "SELECT id, search_vector FROM tickets_ticket WHERE search_vector IS NOT NULL"
        )


def copy_vectors_back(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE tickets_ticket t SET search_vector = s.vector "
            "FROM tickets_ticketsearch s WHERE s.ticket_id = t.id"
        )


def gin_index(apps, schema_editor):
    # SQLite (the demo) has no GIN indexes and searches with LIKE.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS ticket_search_vector "
            "ON tickets_ticketsearch USING gin (vector)"
        )


def drop_gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS ticket_search_vector")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_staff_availability_and_round_robin'),
        ('escalation', '0005_fewer_record_indexes'),
        ('tickets', '0010_queue_status_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='TicketSearch',
            fields=[
                ('ticket', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='search_document', serialize=False, to='tickets.ticket')),
                ('vector', django.contrib.postgres.search.SearchVectorField()),
            ],
            options={
                'verbose_name': 'search document',
                'verbose_name_plural': 'search documents',
            },
        ),
        migrations.RemoveIndex(
            model_name='ticket',
            name='ticket_status_tier',
        ),
        migrations.RemoveIndex(
            model_name='ticket',
            name='ticket_escalation_due',
        ),
        migrations.RemoveIndex(
            model_name='ticket',
            name='queue_assignee_by_due',
        ),
        migrations.RunPython(copy_vectors, copy_vectors_back),
        # Dropping the column drops its GIN index (migration 0007) with it.
        migrations.RemoveField(
            model_name='ticket',
            name='search_vector',
        ),
        migrations.RunPython(gin_index, drop_gin_index),
        migrations.AlterField(
            model_name='ticket',
            name='assignee',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_tickets', to=settings.AUTH_USER_MODEL, verbose_name='assignee'),
        ),
        migrations.AlterField(
            model_name='ticket',
            name='category',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='tickets.category', verbose_name='category'),
        ),
        migrations.AlterField(
            model_name='ticket',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to=settings.AUTH_USER_MODEL, verbose_name='customer'),
        ),
        migrations.AlterField(
            model_name='ticket',
            name='reference',
            field=models.CharField(editable=False, max_length=16, verbose_name='reference'),
        ),
        migrations.AlterField(
            model_name='ticket',
            name='team',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tickets', to='accounts.team', verbose_name='team'),
        ),
        migrations.AlterField(
            model_name='ticketevent',
            name='actor',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by'),
        ),
        migrations.AlterField(
            model_name='ticketevent',
            name='ticket',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='tickets.ticket'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('assignee__isnull', False), ('status__in', ('new', 'open', 'pending_customer', 'resolution_proposed'))), fields=['assignee', 'escalation_due_at', 'id'], name='queue_assignee_by_due'),
        ),
        migrations.AddIndex(
            model_name='ticketevent',
            index=models.Index(condition=models.Q(('actor__isnull', False)), fields=['actor'], name='event_actor'),
        ),
        migrations.AddConstraint(
            model_name='ticket',
            constraint=models.UniqueConstraint(fields=('reference',), name='ticket_reference'),
        ),
    ]
