"""Domain errors raised by services; config/api_errors.py and tickets/web.py map them to HTTP."""


class InvalidTransition(Exception):
    """The case's state does not allow this action now (HTTP 409)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class NotAllowed(Exception):
    """The actor may see the case but may not do this to it (HTTP 403)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class DuplicateTicket(Exception):
    """The customer already has an open case about the same transaction or order (HTTP 409)."""

    def __init__(self, existing):
        super().__init__("duplicate")
        self.existing = list(existing)
