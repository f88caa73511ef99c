"""Pure functions that compute SLA due times; no database, no clock of their own."""

from datetime import datetime, timedelta

# DESIGN.md: 24–72 h to respond, faster for account security (urgent cases).
DEFAULT_FIRST_RESPONSE = {
    "urgent": timedelta(hours=4),
    "high": timedelta(hours=24),
    "normal": timedelta(hours=48),
    "low": timedelta(hours=72),
}


def first_response_due(start: datetime, priority: str) -> datetime:
    """When the first staff reply is due for a case filed at `start` (a 24/7 calendar)."""
    return start + DEFAULT_FIRST_RESPONSE[priority]
