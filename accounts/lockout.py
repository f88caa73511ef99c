"""django-axes hooks: whose attempt it was, from where, and what a locked-out person sees.

Repeated failures (wrong passwords on the web or the token endpoint, wrong authenticator
codes) lock the email address and the source address for AXES_COOLOFF_TIME. The answer is
the same whether or not an account exists: it says only when to try again.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _


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


def client_ip(request: HttpRequest) -> str | None:
    """The address a failure came from, seen through REDRESS_TRUSTED_PROXIES proxies.

    Behind a reverse proxy every request arrives from the proxy: locking that address would
    lock everyone. Each trusted proxy appends the address it saw to X-Forwarded-For, so the
    client is the entry that many places from the right; anything further left is whatever
    the client chose to send and is ignored.
    """
    proxies = settings.REDRESS_TRUSTED_PROXIES
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


def _retry_at(request: HttpRequest, credentials: dict | None) -> datetime:
    """When the lock lifts: the cool-off after the latest failure that counts against it."""
    AxesProxyHandler.update_request(request)
    handler = AxesProxyHandler.get_implementation()
    times = [
        attempts.order_by("-attempt_time").values_list("attempt_time", flat=True).first()
        for attempts in handler.get_user_attempts(request, credentials)
    ]
    latest = max((when for when in times if when), default=timezone.now())
    return latest + settings.AXES_COOLOFF_TIME


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
            {"detail": message, "code": "locked_out", "retry_after": seconds},
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
