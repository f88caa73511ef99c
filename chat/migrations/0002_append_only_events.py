"""On PostgreSQL, refuse UPDATE and DELETE on the chat's audit trail at the database itself."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION chat_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'chat_chatevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER chat_event_append_only
    BEFORE UPDATE OR DELETE ON chat_chatevent
    FOR EACH ROW EXECUTE FUNCTION chat_event_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS chat_event_append_only ON chat_chatevent;
DROP FUNCTION IF EXISTS chat_event_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
