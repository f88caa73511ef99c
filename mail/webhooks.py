"""A provider's inbound webhook (django-anymail): the message goes to the one spool.

Anymail checks the request (the provider's signature, or the basic-auth secret in
ANYMAIL["WEBHOOK_SECRET"]) and parses it; this receiver keeps the raw MIME it gives.
"""

from __future__ import annotations

from mail import inbound


def spool_inbound(sender, event, esp_name: str, **kwargs) -> None:
    message = event.message
    recipient = getattr(message, "envelope_recipient", None)
    inbound.spool(
        message.as_bytes(),
        source=f"webhook:{esp_name.lower()}",
        envelope_from=getattr(message, "envelope_sender", None),
        envelope_to=[recipient] if recipient else [],
    )
