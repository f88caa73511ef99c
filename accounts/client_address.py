"""The address a request came from: the one answer every throttle and the lockout use.

Behind a reverse proxy every request arrives from the proxy, so its address says nothing
about the client; the proxy appends the address it saw to X-Forwarded-For. Only the
entries written by the REDRESS_TRUSTED_PROXIES proxies in front of the app can be
believed: each appends one, so the client is the entry that many places from the right,
and anything further left is whatever the client chose to send. With no trusted proxy
(the demo, or a server facing the internet) the header is ignored altogether.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.REDRESS_TRUSTED_PROXIES
    if not proxies:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < proxies:
        # Fewer entries than proxies: the request skipped a proxy, so nothing in the header
        # was written by one we trust.
        return remote
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
