"""API rate limits, keyed on the client address from `client_ip` and never on a header the
client chooses (DRF's own throttles read X-Forwarded-For as sent).

The token endpoint is limited twice over: per account, so that guessing one account's
password is slow from any number of addresses, and per address at a rate high enough for
a whole office behind one NAT, so that one person's retries never lock out the rest.

Each throttle answers with the time until its oldest counted request leaves the window,
which is when a retry will be let through (the Retry-After of the 429).
"""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext_lazy as _
from rest_framework import throttling
from rest_framework.settings import api_settings

from accounts.client_address import client_ip


class _ClientAddress:
    message = _("Too many requests from your address.")

    def get_rate(self):
        # Read when the throttle is made, not when the module was imported (DRF's default),
        # so a changed setting takes effect.
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        return super().get_rate()

    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"

    def wait(self) -> float | None:
        if not getattr(self, "history", None):
            return None
        return max(1.0, self.history[-1] + self.duration - self.now)


class AddressRateThrottle(_ClientAddress, throttling.AnonRateThrottle):
    """Requests without a signed-in user, per client address (scope `anon`)."""


class UserRateThrottle(_ClientAddress, throttling.UserRateThrottle):
    """Requests per signed-in user (scope `user`); anonymous ones per client address."""

    message = _("Too many requests from your account.")


class TokenAddressThrottle(_ClientAddress, throttling.SimpleRateThrottle):
    """Token requests per client address (scope `token_address`)."""

    scope = "token_address"
    message = _("Too many sign-in requests from your address.")

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenAccountThrottle(_ClientAddress, throttling.SimpleRateThrottle):
    """Token requests per account named in the body, whoever asks (scope `token_account`)."""

    scope = "token_account"
    message = _("Too many sign-in requests for this account.")

    def get_cache_key(self, request, view) -> str | None:
        email = str(request.data.get("email", "") or "").strip().lower()
        if not email:
            return None
        # Hashed: the cache holds no email addresses.
        ident = hashlib.sha256(email.encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}
