"""The app's database role (config.db_roles) reads and writes rows, and cannot change an
audit or evidence row by any route: UPDATE, DELETE, TRUNCATE, disabling the append-only
trigger, or `SET session_replication_role`."""

from contextlib import contextmanager

import psycopg2
import pytest
from django.conf import settings
from django.db import connection
from psycopg2 import errors

from config.db_roles import append_only_tables, grant_app_role
from tests.factories import AgentFactory, CustomerFactory, category, png_upload
from tickets import services
from tickets.models import Attachment, EventKind, Message, TicketEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TEST_ROLE = "redress_test_app"


@pytest.fixture
def app_role():
    """The app role of CI (REDRESS_DB_APP_ROLE) or, elsewhere, one made for the tests."""
    role = settings.REDRESS_DB_APP_ROLE or TEST_ROLE
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            quoted = connection.ops.quote_name(role)
            # Roles are shared by every database of the server: another run may make it too.
            cursor.execute(
                f"DO $$ BEGIN CREATE ROLE {quoted} LOGIN; "
                "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
            )
        else:
            assert not row[0], f"{role} must not be a superuser"
    grant_app_role(role)  # what `migrate` did for the configured role
    return role


@contextmanager
def connected_as(role):
    params = connection.get_connection_params()
    params = {k: v for k, v in params.items() if k in ("host", "port", "dbname", "database")}
    params["dbname"] = params.pop("database", params.get("dbname"))
    conn = psycopg2.connect(user=role, **params)
    try:
        yield conn
    finally:
        conn.close()


def filed_case():
    customer = CustomerFactory()
    ticket = services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category("kyc"),
        subject="KYC stuck",
        description="Under review for two weeks.",
        fields={},
        files=[png_upload()],
    )
    return ticket


def refused(conn, sql, params=()):
    """Run `sql` as the role; True if PostgreSQL refused it for want of a privilege."""
    with conn.cursor() as cursor:
        try:
            cursor.execute(sql, params)
        except errors.InsufficientPrivilege:
            conn.rollback()
            return True
        conn.rollback()
        return False


def test_the_app_role_cannot_change_an_audit_or_evidence_row(app_role):
    ticket = filed_case()
    event = ticket.events.order_by("id").first()
    attachment = ticket.attachments.get()
    with connected_as(app_role) as conn:
        with conn.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            assert cursor.fetchone() == (False,)
            cursor.execute("SELECT count(*) FROM tickets_ticketevent")
            assert cursor.fetchone()[0] >= 2  # it reads them
        conn.rollback()
        for sql in (
            "UPDATE tickets_ticketevent SET kind = 'x' WHERE id = %s",
            "DELETE FROM tickets_ticketevent WHERE id = %s",
        ):
            assert refused(conn, sql, [event.pk]), sql
        for route in (
            "TRUNCATE tickets_ticketevent CASCADE",
            "ALTER TABLE tickets_ticketevent DISABLE TRIGGER tickets_event_append_only",
            "ALTER TABLE tickets_ticketevent DISABLE TRIGGER ALL",
            "DROP TRIGGER tickets_event_append_only ON tickets_ticketevent",
            "SET session_replication_role = replica",
            "SET LOCAL session_replication_role = replica",
            "ALTER TABLE tickets_ticketevent OWNER TO CURRENT_USER",
        ):
            assert refused(conn, route), route
        for sql in (
            "UPDATE tickets_attachment SET sha256 = 'x' WHERE id = %s",
            "DELETE FROM tickets_attachment WHERE id = %s",
            "TRUNCATE tickets_attachment CASCADE",
        ):
            assert refused(conn, sql, [str(attachment.pk)]), sql
        for table in append_only_tables():
            assert refused(conn, f"TRUNCATE {table} CASCADE"), table
            assert refused(conn, f"DELETE FROM {table}"), table
    assert TicketEvent.objects.get(pk=event.pk).kind == EventKind.FILED
    assert Attachment.objects.get(pk=attachment.pk).sha256 == attachment.sha256


def test_the_app_works_as_that_role(app_role):
    """Filing with evidence, replying, triage and reading, with Django connected as the role."""
    customer, agent = CustomerFactory(), AgentFactory()
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(USER=app_role, PASSWORD="")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (app_role,)
        ticket = services.ticket_file(
            customer=customer,
            filed_by=customer,
            category=category("kyc"),
            subject="KYC stuck",
            description="Under review for two weeks.",
            fields={},
            files=[png_upload()],
        )
        services.ticket_triage(ticket=ticket, actor=agent)
        services.ticket_add_message(ticket=ticket, author=agent, body="Which document?")
        services.ticket_add_message(
            ticket=ticket, author=customer, body="My passport.", files=[png_upload()]
        )
        assert Message.objects.filter(ticket=ticket).count() == 2
        assert ticket.attachments.count() == 2
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)
