"""The one outgoing HTTP session of the connectors.

Every platform call goes through `ConnectorSession`: it always has a timeout, announces itself
with a User-Agent, never retries a request that reached the platform (a repeated POST could list
a product twice; retrying is the synchroniser's job, with backoff) and turns transport failures
(timeouts, refused or dropped connections) into `RetryableError`, so adapters only ever see an
answer or one of `connectors.exceptions`.

It also refuses to call an address inside our own network (loopback, link-local, private,
reserved, multicast, unspecified; IPv4 and IPv6), whatever a stored connection says, unless
`CONNECTOR_ALLOW_PRIVATE_URLS` is on (tests, the local demo with its fake platforms): a base URL
entered in the admin must never make the worker post product data and keys to an internal
service. Every request is checked, redirects included, by resolving its host name and checking
every address it resolves to; the socket is then checked again after connecting, so a name that
resolves differently the second time (DNS rebinding) is caught as well.
"""
from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from connectors.exceptions import BlockedAddress, RetryableError

logger = logging.getLogger(__name__)

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


# -- addresses we never call ------------------------------------------------------------------------


#: Not globally reachable, though some Python versions' `is_global` misses them: shared address
#: space (CGNAT), IETF protocol assignments, benchmarking, "this network".
_NOT_PUBLIC = tuple(ipaddress.ip_network(n) for n in ("0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15"))
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def address_is_public(address: str) -> bool:
    """False for loopback, link-local, private, reserved, multicast, unspecified and shared
    (CGNAT) addresses, IPv4 or IPv6, including IPv4 carried in IPv6 (::ffff:127.0.0.1, 6to4,
    NAT64), whose IPv4 address is what is reached."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None or ip.sixtofour is not None:
            ip = ip.ipv4_mapped or ip.sixtofour
        elif any(ip in net for net in _NAT64):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if isinstance(ip, ipaddress.IPv4Address) and any(ip in net for net in _NOT_PUBLIC):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback
                                 or ip.is_private or ip.is_unspecified)


def private_urls_allowed() -> bool:
    return bool(getattr(settings, "CONNECTOR_ALLOW_PRIVATE_URLS", False))


def url_is_allowed(url: str) -> bool:
    """Whether a platform call to `url` is allowed: http(s), and (unless private addresses are
    allowed) a host whose every address is public. A name that does not resolve is refused."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if private_urls_allowed():
        return True
    key = (host, port or (443 if parts.scheme == "https" else 80))
    if _known_public.get(key, 0.0) > time.monotonic():
        return True
    try:
        infos = socket.getaddrinfo(*key, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return False
    public = bool(infos) and all(address_is_public(info[4][0]) for info in infos)
    if public:
        _known_public[key] = time.monotonic() + PUBLIC_NAME_TTL
    return public


#: A host name found public is not looked up again for this long (a platform call must not wait
#: for DNS each time). Safe: the connected socket's address is checked on every new connection.
PUBLIC_NAME_TTL = 60.0
_known_public: dict[tuple[str, int], float] = {}


def _refuse(url: str) -> BlockedAddress:
    # Say which host, never what it resolved to or what answered there.
    return BlockedAddress(f"address not allowed: {urlsplit(str(url)).hostname or '?'} (internal or not resolvable)")


class _CheckedPeer:
    """After connecting, refuse a socket whose peer is not public (the name may have resolved to
    another address than when the URL was checked)."""

    def _new_conn(self):
        sock = super()._new_conn()
        # Through a proxy the peer is the proxy the operator configured; the target's name was
        # checked before sending.
        if not private_urls_allowed() and getattr(self, "proxy", None) is None:
            try:
                peer = sock.getpeername()[0]
            except OSError:
                peer = None
            if peer is not None and not address_is_public(peer):
                sock.close()
                raise _refuse(f"http://{self.host}/")
        return sock


class _CheckedHTTPConnection(_CheckedPeer, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedPeer, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


# -- the session -------------------------------------------------------------------------------------


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
        adapter = _CheckedAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=_no_retry_after_sending())
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
        except requests.RequestException as exc:
            blocked = _blocked_cause(exc)
            if blocked is not None:
                raise blocked from exc
            # The exception's text (addresses, errno) goes to the log, not to the status the admin
            # shows: it would tell whoever set the URL how the far side answered.
            logger.warning("connector %s %s failed: %s", method, _path(url), exc)
            kind = ("timeout" if _timed_out(exc) else
                    "connection failed" if isinstance(exc, requests.ConnectionError) else
                    "transport error")  # chunked/content decoding, too many redirects
            raise RetryableError(f"{kind}: {method} {_path(url)}") from exc

    def send(self, request, **kwargs):  # noqa: D102 - every request, redirects included, passes here
        if not url_is_allowed(request.url):
            raise _refuse(request.url)
        return super().send(request, **kwargs)


def _timed_out(exc: requests.RequestException) -> bool:
    """A read timeout reaches us as a ConnectionError wrapping urllib3's MaxRetryError."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.Timeout) or isinstance(reason, urllib3.exceptions.ReadTimeoutError)


def _blocked_cause(exc: BaseException) -> BlockedAddress | None:
    """The BlockedAddress raised while connecting, which urllib3 and requests wrap."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, BlockedAddress):
            return exc
        seen.add(id(exc))
        exc = getattr(exc, "reason", None) or exc.__context__ or exc.__cause__
    return None


def _check_timeout(timeout) -> None:
    if timeout is None:
        raise ValueError("every platform call needs a timeout; timeout=None is not allowed")
    parts = timeout if isinstance(timeout, tuple) else (timeout,)
    if any(part is None or part <= 0 for part in parts):
        raise ValueError(f"timeouts must be positive seconds, got {timeout!r}")


def _path(url: str) -> str:
    """The URL without its query (which may carry credentials on some platforms)."""
    return str(url).split("?", 1)[0]
