"""Staff search through the help center's analyser, and an index of open cases only.

The documents are rebuilt with helpcenter.analysis (Chinese as character bigrams, the
customer's email, name and UID, identifiers by their parts). `is_open` follows the
ticket's status through a trigger, so no code path that closes or reopens a case (the
services, the sweep's set-based updates) can leave it behind; the open cases' words are
indexed from it (migration 0014).
"""

from django.db import migrations, models

OPEN = "('new', 'open', 'pending_customer', 'resolution_proposed')"

TRIGGER = f"""
CREATE OR REPLACE FUNCTION tickets_search_is_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets_ticketsearch SET is_open = NEW.status IN {OPEN} WHERE ticket_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_search_is_open AFTER UPDATE OF status ON tickets_ticket FOR EACH ROW
WHEN ((OLD.status IN {OPEN}) IS DISTINCT FROM (NEW.status IN {OPEN}))
EXECUTE FUNCTION tickets_search_is_open();
"""
BATCH = 2000


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from tickets import search

    schema_editor.execute(TRIGGER)
    Ticket = apps.get_model("tickets", "Ticket")
    last = 0
    while True:
        ids = list(
            Ticket.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        search.reindex_many(ids)
        last = ids[-1]


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS ticket_search_is_open ON tickets_ticket")
        schema_editor.execute("DROP FUNCTION IF EXISTS tickets_search_is_open()")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0015_event_kinds_access_and_linked"),
        ("accounts", "0003_staff_availability_and_round_robin"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticketsearch",
            name="is_open",
            field=models.BooleanField(db_default=True, default=True),
        ),
        migrations.RunPython(forward, backward),
    ]
