"""The open cases' search words as an inverted index the queue reads with index-only scans.

On PostgreSQL the table's words are in the "C" collation, so a prefix is a plain range of
the primary key, and a trigger on tickets_ticketsearch keeps exactly the lexemes of every
open case's document: written with the document, gone when the case closes. SQLite (the
demo) gets the table but never fills it: its search matches the ticket's text instead.
"""

import django.db.models.deletion
from django.db import migrations, models

# The primary key orders words by code point, so a prefix is one range of it.
COLLATION = 'ALTER TABLE tickets_ticketterm ALTER COLUMN lexeme TYPE text COLLATE "C"'
TRIGGER = """
CREATE FUNCTION tickets_search_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.is_open THEN
        DELETE FROM tickets_ticketterm WHERE ticket_id = OLD.ticket_id;
    END IF;
    IF NEW.is_open THEN
        INSERT INTO tickets_ticketterm (lexeme, ticket_id)
        SELECT lexeme, NEW.ticket_id FROM unnest(tsvector_to_array(NEW.vector)) AS lexeme
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_search_terms AFTER INSERT OR UPDATE OF vector, is_open
ON tickets_ticketsearch FOR EACH ROW EXECUTE FUNCTION tickets_search_terms();
INSERT INTO tickets_ticketterm (lexeme, ticket_id)
SELECT DISTINCT unnest(tsvector_to_array(vector)), ticket_id FROM tickets_ticketsearch
WHERE is_open;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COLLATION)
        schema_editor.execute(TRIGGER)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS ticket_search_terms ON tickets_ticketsearch; "
            "DROP FUNCTION IF EXISTS tickets_search_terms()"
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0016_search_analysed_open_cases")]

    operations = [
        migrations.CreateModel(
            name="TicketTerm",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "lexeme", "ticket", blank=True, editable=False, primary_key=True,
                        serialize=False,
                    ),
                ),
                ("lexeme", models.TextField()),
                (
                    "ticket",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tickets.ticket",
                    ),
                ),
            ],
        ),
        migrations.RunPython(forward, backward),
    ]
