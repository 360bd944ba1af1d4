"""What went wrong when talking to a platform, and whether trying again can help.

Adapters raise only these. The synchroniser retries `RetryableError` with backoff (honouring
`retry_after` when the platform gave one) and records `FinalError` for the producer to read.
"""
from __future__ import annotations


class ConnectorError(Exception):
    """Base class. `message` is the platform's own text where it gave one (often Vietnamese)."""

    def __init__(self, message: str, *, status: int | None = None, body: str = ""):
        super().__init__(message)
        self.message = message
        self.status = status  # HTTP status, when there was an answer
        self.body = body[:2000]  # raw answer, for the sync log


class RetryableError(ConnectorError):
    """Network error, timeout, 429, 5xx, a platform that is 'busy': the same call may succeed later."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RateLimited(RetryableError):
    """The platform said 'too many requests'."""


class FinalError(ConnectorError):
    """The platform refused the request as sent (validation, bad credentials): retrying the same
    call will not help; the producer or operator must change something."""

    def __init__(self, message: str, *, field: str = "", **kwargs):
        super().__init__(message, **kwargs)
        self.field = field


class NotFound(FinalError):
    """The external id is unknown or was deleted on the platform."""


class AlreadyExists(FinalError):
    """A create for a SKU the platform already lists; `external_id` is that listing (when given)."""

    def __init__(self, message: str, *, external_id: str = "", **kwargs):
        super().__init__(message, **kwargs)
        self.external_id = external_id


class BlockedAddress(FinalError):
    """The platform's address is inside our own network (or does not resolve): not called.
    Carries no detail of the far side; an operator must correct the connection's address."""
