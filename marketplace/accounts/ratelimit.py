"""A fixed-window counter in the cache (Redis with several web servers, a file or memory cache
otherwise). Good enough to stop floods of sign-ups or messages; not an accounting tool."""
from __future__ import annotations

import hashlib

from django.core.cache import cache


def _key(scope: str, value: str) -> str:
    # Hash the value: phone numbers and addresses stay out of cache keys and their length is bounded.
    return "ratelimit:" + scope + ":" + hashlib.sha256(value.encode()).hexdigest()[:32]


def rate_limit_hit(*, scope: str, value: str, limit: int, window_seconds: int) -> bool:
    """Count one use of `value` in `scope`; False once more than `limit` uses fall in the window."""
    key = _key(scope, value)
    cache.add(key, 0, timeout=window_seconds)  # starts the window only when none is running
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count <= limit


def rate_limit_exceeded(*, scope: str, value: str, limit: int) -> bool:
    """Whether `value` has already used its `limit` in the running window (counts nothing)."""
    return (cache.get(_key(scope, value)) or 0) >= limit
