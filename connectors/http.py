"""The one outgoing HTTP session of the connectors.

Every platform call goes through `ConnectorSession`: it always has a timeout, announces itself
with a User-Agent, never retries a request that reached the platform (a repeated POST could list
a product twice; retrying is the synchroniser's job, with backoff) and turns transport failures
(timeouts, refused or dropped connections) into `RetryableError`, so adapters only ever see an
answer or one of `connectors.exceptions`.
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from connectors.exceptions import RetryableError

#: (connect, read) seconds. Platforms answer in well under a second when healthy; a read that
#: takes longer than this is treated as lost and retried later (idempotently).
DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 15.0)
USER_AGENT = "ChoOCOP-Connectors/1.0 (python-requests)"
#: connections kept per platform host; workers run a few threads at most.
POOL_SIZE = 16

_UNSET = object()


def _no_retry_after_sending() -> Retry:
    """Retry only a connection that could not be opened (nothing was sent, so it is safe for a
    POST too); never a read, a status or a redirect."""
    return Retry(total=1, connect=1, read=0, status=0, other=0, redirect=0, raise_on_status=False)


class ConnectorSession(requests.Session):
    """`requests.Session` with a required timeout, our User-Agent and typed transport errors.

    `timeout` may be omitted on a call (the session's default applies, `DEFAULT_TIMEOUT` unless
    given to the constructor) but never disabled: `timeout=None` raises `ValueError`.
    """

    def __init__(self, *, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT, user_agent: str = USER_AGENT,
                 pool_size: int = POOL_SIZE):
        super().__init__()
        _check_timeout(timeout)
        self.default_timeout = timeout
        self.headers["User-Agent"] = user_agent
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=_no_retry_after_sending())
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self._hooks = threading.local()

    @contextlib.contextmanager
    def paced(self, pace: Callable[[], None] | None) -> Iterator[None]:
        """Call `pace()` (unless None) before every request this thread sends inside the block
        (the rate limiter's wait), whatever the adapter's method does: each page of a listing, a
        create that first reads the category list, a 409 resolved with a read and a write, a
        token fetch. A signed request (Voso) waits after signing: the limiter's wait (at most a
        minute) is well inside the 300 s a signature's timestamp stays valid."""
        previous = getattr(self._hooks, "pace", None)
        self._hooks.pace = pace
        try:
            yield
        finally:
            self._hooks.pace = previous

    def request(self, method, url, *args, timeout=_UNSET, **kwargs):  # noqa: D102 - requests' signature
        if timeout is _UNSET:
            timeout = self.default_timeout
        _check_timeout(timeout)
        pace = getattr(self._hooks, "pace", None)
        if pace is not None:
            pace()
        try:
            return super().request(method, url, *args, timeout=timeout, **kwargs)
        except requests.Timeout as exc:
            raise RetryableError(f"timeout: {method} {_path(url)}: {exc}") from exc
        except requests.ConnectionError as exc:
            raise RetryableError(f"connection failed: {method} {_path(url)}: {exc}") from exc
        except requests.RequestException as exc:  # chunked/content decoding, too many redirects
            raise RetryableError(f"transport error: {method} {_path(url)}: {exc}") from exc


def _check_timeout(timeout) -> None:
    if timeout is None:
        raise ValueError("every platform call needs a timeout; timeout=None is not allowed")
    parts = timeout if isinstance(timeout, tuple) else (timeout,)
    if any(part is None or part <= 0 for part in parts):
        raise ValueError(f"timeouts must be positive seconds, got {timeout!r}")


def _path(url: str) -> str:
    """The URL without its query (which may carry credentials on some platforms)."""
    return str(url).split("?", 1)[0]
