"""The database role the app runs as, and what it may do (PostgreSQL).

Migrations run as the owner of the schema; web, workers and beat connect as another role
(REDRESS_DB_APP_ROLE) that may read and write rows but cannot change the schema, disable
a trigger, switch `session_replication_role` (superusers only), or UPDATE, DELETE or
TRUNCATE the append-only tables: the audit trail and the evidence. Only the owner (or a
superuser) could undo those protections, and the app never connects as either.

`migrate` applies the grants after every run (post_migrate), so tables added later get
them too. The roles themselves are made by deploy/postgres/roles.sql, run as a superuser
(docker-compose.yml's db-roles service, .ci/run).
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import connections

# Rows that record what happened or what was shown: added, never changed or removed.
APPEND_ONLY_MODELS = (
    "tickets.TicketEvent",
    "tickets.Attachment",
    "tickets.MessageOriginal",  # mail as it arrived, kept for the case file
    "tickets.AssetPrice",  # the reference prices compensation was valued at
    "accounts.AccountEvent",
    "chat.ChatEvent",
    "chat.ChatFile",  # files sent in chats: evidence of the cases they become
)


def append_only_tables() -> list[str]:
    return [apps.get_model(label)._meta.db_table for label in APPEND_ONLY_MODELS]


def grant_app_role(role: str, *, using: str = "default") -> None:
    """Give `role` what the app needs on every table of the current schema, and no more."""
    connection = connections[using]
    quote = connection.ops.quote_name
    tables = ", ".join(quote(table) for table in append_only_tables())
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = quote(cursor.fetchone()[0])
        role = quote(role)
        for statement in (
            f"GRANT USAGE ON SCHEMA {schema} TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
            f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {tables} FROM {role}",
            f"REVOKE UPDATE, DELETE, TRUNCATE ON {tables} FROM PUBLIC",
        ):
            cursor.execute(statement)


def grant_after_migrate(sender, using="default", **kwargs) -> None:
    role = settings.REDRESS_DB_APP_ROLE
    if role and connections[using].vendor == "postgresql":
        grant_app_role(role, using=using)
