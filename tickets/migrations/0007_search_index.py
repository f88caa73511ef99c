"""The full-text index for staff search, on PostgreSQL (SQLite has no GIN indexes)."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS ticket_search ON tickets_ticket USING gin (search_vector)"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS ticket_search")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0006_queue_indexes_and_search")]

    operations = [migrations.RunPython(forward, backward)]
