"""The roles of DESIGN.md as Django groups, and the checks views and services share."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
        user._role_names = set(user.groups.values_list("name", flat=True))
    return role in user._role_names


def is_staff_member(user: User) -> bool:
    return user.is_authenticated and (
        user.is_superuser or any(has_role(user, role) for role in STAFF_ROLES)
    )
