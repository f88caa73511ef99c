"""The roles of DESIGN.md as Django groups, and the checks views and services share."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from django.db import connection

if TYPE_CHECKING:
    from accounts.models import User

CUSTOMER = "customer"
AGENT = "agent"
APPEAL_OFFICER = "appeal_officer"
COMMITTEE = "committee"
ADMIN = "admin"

STAFF_ROLES = (AGENT, APPEAL_OFFICER, COMMITTEE, ADMIN)
ALL_ROLES = (CUSTOMER, *STAFF_ROLES)


def has_role(user: User, role: str) -> bool:
    if not user.is_authenticated:
        return False
    # The groups are cached on the user object for the request: one query, not one per check.
    if not hasattr(user, "_role_names"):
        with connection.cursor() as cursor:
            cursor.execute(_role_names_sql(), [user.pk])
            user._role_names = {name for (name,) in cursor.fetchall()}
    return role in user._role_names


@cache
def _role_names_sql() -> str:
    """The user's group names as one plain join. Every signed-in request asks (the staff gate
    in accounts.middleware), and the ORM's many-to-many manager took 0.88 ms of CPU to build
    and read a query whose SQL takes 0.1; this takes 0.26 (bench/README, session 7)."""
    from accounts.models import User

    q = connection.ops.quote_name
    groups = User._meta.get_field("groups")
    through = groups.remote_field.through._meta
    group = groups.related_model._meta
    return (
        f"SELECT g.{q(group.get_field('name').column)} FROM {q(group.db_table)} g"
        f" JOIN {q(through.db_table)} ug ON ug.{q(through.get_field('group').column)}"
        f" = g.{q(group.pk.column)} WHERE ug.{q(through.get_field('user').column)} = %s"
    )


def is_staff_member(user: User) -> bool:
    return user.is_authenticated and (
        user.is_superuser or any(has_role(user, role) for role in STAFF_ROLES)
    )
