"""Who work can be handed to: the staff list behind every assignee box."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Q

from accounts.models import User
from accounts.roles import STAFF_ROLES

STAFF_MEMBERS_TTL = 10  # seconds: someone given a staff role is suggested this soon


def staff_members() -> list[dict[str, str]]:
    """The assignee suggestions, shared by every staff page for STAFF_MEMBERS_TTL seconds.

    Finding the staff means reading the customers too: milliseconds on every queue load at
    scale, for a list that seldom changes. The names do not depend on the page's language.
    """
    members = cache.get("staff-members")
    if members is None:
        members = [
            # Plain dicts in the cache: nothing to unpickle that a deploy could rename.
            {"email": user.email, "display_name": user.display_name}
            for user in User.objects.filter(
                Q(groups__name__in=STAFF_ROLES) | Q(is_superuser=True), is_active=True
            )
            .distinct()
            .order_by("full_name", "email")
            .only("email", "full_name")
        ]
        cache.set("staff-members", members, STAFF_MEMBERS_TTL)
    return members
