"""Team leads: who they are and what they lead (see Team.leads).

A team lead is a staff member listed in a team's `leads`: they read that team's reports
and are alerted on its low satisfaction scores and its cases near the final-decision
deadline. Admins read every team's reports. Views, services and tasks ask here, so the
rule lives in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from accounts import roles

if TYPE_CHECKING:
    from accounts.models import User


def led_team_ids(user: User) -> set[int]:
    """The teams this active staff member leads (none for customers and former staff)."""
    if not (user.is_authenticated and user.is_active and roles.is_staff_member(user)):
        return set()
    if not hasattr(user, "_led_team_ids"):
        user._led_team_ids = set(user.led_teams.values_list("pk", flat=True))
    return user._led_team_ids


def is_team_lead(user: User, team_id: int | None = None) -> bool:
    """Does the user lead any team (or this one)?"""
    led = led_team_ids(user)
    return bool(led) if team_id is None else team_id in led


def lead_emails(team_ids: Iterable[int | None]) -> dict[int, list[str]]:
    """The active leads' addresses of each team, in one query."""
    from accounts.models import Team

    wanted = {team_id for team_id in team_ids if team_id is not None}
    emails: dict[int, list[str]] = {team_id: [] for team_id in wanted}
    rows = (
        Team.leads.through.objects.filter(team_id__in=wanted, user__is_active=True)
        .order_by("team_id", "user__email")
        .values_list("team_id", "user__email")
    )
    for team_id, email in rows:
        emails[team_id].append(email)
    return emails
