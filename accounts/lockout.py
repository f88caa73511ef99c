"""Lockout after failed sign-ins (django-axes): which lock holds, for how long, and the way
past it for an account's owner.

django-axes records each failure (a wrong password on the web or the token endpoint, a
wrong authenticator or backup code) per account, address and browser. Three locks are
read from those records, each counting the failures since the cool-off before the latest:

- the account from one address (`account_address`, AXES_FAILURE_LIMIT): someone who
  forgot their password, or a guesser on one machine. Nobody else is affected, so
  anyone can no longer lock a staff member out by typing wrong passwords at their email;
- the account from everywhere (`account`, REDRESS_LOGIN_ACCOUNT_FAILURE_LIMIT): guessing
  spread over many addresses. When it starts, the owner is mailed a single-use link that
  lets their browser sign in anyway (with the password, and the code for staff) and
  admins are alerted;
- the address for every account (`address`, REDRESS_LOGIN_ADDRESS_FAILURE_LIMIT): one
  machine trying many accounts, set far above what an office behind one NAT produces.

The answer is the same whether or not an account exists: it says only when to try again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AccountEvent, User
from outbox.relay import enqueue

# The browser session that followed an unlock link: {"email": …, "until": POSIX time}.
UNLOCK_SESSION_KEY = "redress_signin_unlocked"


def attempted_email(request: HttpRequest, credentials: dict | None) -> str | None:
    """The email someone tried to sign in as, however it reached us.

    The web form (Django's AuthenticationForm) names it `username`; the token endpoint and
    the code step name it `email` / `username` in the credentials passed to authenticate().
    Lower-cased, so "Agent@Example.com" and "agent@example.com" are one account to lock.
    """
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get("email")
    if not value:
        data = getattr(request, "data", None) or request.POST
        value = data.get("username") or data.get("email")
    return str(value).strip().lower() if value else None


@dataclass(frozen=True)
class Lock:
    reason: str  # "account_address", "account" or "address"
    retry_at: datetime


def unlocked_for(request: HttpRequest, email: str | None) -> bool:
    """Did this browser follow the owner's unlock link for `email`, within its time?"""
    session = getattr(request, "session", None)
    grant = session.get(UNLOCK_SESSION_KEY) if session is not None else None
    return bool(
        email
        and grant
        and grant.get("email") == email
        and grant.get("until", 0) > timezone.now().timestamp()
    )


def grant_unlock(request: HttpRequest, user: User) -> None:
    until = timezone.now() + settings.AXES_COOLOFF_TIME
    request.session[UNLOCK_SESSION_KEY] = {"email": user.email.lower(), "until": until.timestamp()}


def current_lock(request: HttpRequest, credentials: dict | None) -> Lock | None:
    """The lock that holds for this attempt, if any (one query)."""
    email = get_client_username(request, credentials)
    address = getattr(request, "axes_ip_address", None)
    if unlocked_for(request, email) or not (email or address):
        return None
    pair = Q(username=email, ip_address=address)
    account = Q(username=email)
    source = Q(ip_address=address)
    either = (account if email else Q()) | (source if address else Q())
    counts = (
        AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        .filter(either)
        .aggregate(
            pair=Sum("failures_since_start", filter=pair),
            pair_latest=Max("attempt_time", filter=pair),
            account=Sum("failures_since_start", filter=account),
            account_latest=Max("attempt_time", filter=account),
            address=Sum("failures_since_start", filter=source),
            address_latest=Max("attempt_time", filter=source),
        )
    )
    limits = (
        ("account_address", "pair", settings.AXES_FAILURE_LIMIT, email and address),
        ("account", "account", settings.REDRESS_LOGIN_ACCOUNT_FAILURE_LIMIT, email),
        ("address", "address", settings.REDRESS_LOGIN_ADDRESS_FAILURE_LIMIT, address),
    )
    for reason, scope, limit, applies in limits:
        if applies and (counts[scope] or 0) >= limit:
            return Lock(reason, counts[f"{scope}_latest"] + settings.AXES_COOLOFF_TIME)
    return None


class SignInLockHandler(AxesDatabaseHandler):
    """AxesDatabaseHandler with the three locks above in place of its single one."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        # django-axes compares this number with AXES_FAILURE_LIMIT: report the limit while
        # any of the three locks holds, and nothing otherwise.
        return settings.AXES_FAILURE_LIMIT if current_lock(request, credentials) else 0

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        locked_before = getattr(request, "axes_locked_out", False)
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or locked_before or not getattr(request, "axes_locked_out", False):
            return
        lock = current_lock(request, credentials)
        if lock is not None and lock.reason == "account":
            _account_locked(request, get_client_username(request, credentials))


def _account_locked(request: HttpRequest, email: str | None) -> None:
    """The account is locked from everywhere: mail its owner the way in, alert admins (once)."""
    user = User.objects.filter(email__iexact=email or "", is_active=True).first()
    if user is None:
        return
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    with transaction.atomic():
        if user.account_events.filter(
            kind=AccountEvent.Kind.LOCKED, created_at__gte=since
        ).exists():
            return
        tally = AccessAttempt.objects.filter(username=email, attempt_time__gte=since).aggregate(
            failures=Sum("failures_since_start"), addresses=Count("ip_address", distinct=True)
        )
        failures, addresses = tally["failures"] or 0, tally["addresses"] or 0
        audit.record(
            user, AccountEvent.Kind.LOCKED, actor=None, failures=failures, addresses=addresses
        )
        audit.record(user, AccountEvent.Kind.UNLOCK_MAILED, actor=None)
        enqueue("accounts.tasks.send_unlock_link", user.pk)
        enqueue("accounts.tasks.send_lockout_alert", user.pk, failures, addresses)


def unlock_request(*, email: str) -> None:
    """The owner asks for the way in from the lockout page; at most one mail per 5 minutes.

    Says nothing back: the page answers the same whether or not the address has an account.
    """
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        return
    recently = timezone.now() - min(settings.AXES_COOLOFF_TIME, timedelta(minutes=5))
    with transaction.atomic():
        if user.account_events.filter(
            kind=AccountEvent.Kind.UNLOCK_MAILED, created_at__gte=recently
        ).exists():
            return
        audit.record(user, AccountEvent.Kind.UNLOCK_MAILED)
        enqueue("accounts.tasks.send_unlock_link", user.pk)


def _retry_at(request: HttpRequest, credentials: dict | None) -> datetime:
    AxesProxyHandler.update_request(request)
    lock = current_lock(request, credentials)
    return lock.retry_at if lock else timezone.now() + settings.AXES_COOLOFF_TIME


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """429 with when to try again: JSON for the API, a page for the browser."""
    retry_at = _retry_at(request, credentials)
    seconds = max(60, math.ceil((retry_at - timezone.now()).total_seconds()))
    if request.path_info.startswith("/api/"):
        message = _(
            "Too many failed sign-in attempts. Sign-in from here is paused until %(time)s UTC."
        ) % {"time": retry_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")}
        return JsonResponse(
            {
                "detail": message,
                "code": "locked_out",
                "retry_after": seconds,
                "unlock_url": request.build_absolute_uri(reverse("accounts:unlock_request")),
            },
            status=429,
            headers={"Retry-After": str(seconds)},
        )
    response = render(
        request,
        "accounts/locked_out.html",
        {"retry_at": retry_at, "minutes": math.ceil(seconds / 60)},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
