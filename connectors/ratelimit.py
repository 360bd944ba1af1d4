"""A rolling-window rate limiter per platform credential, shared by every worker process.

Each platform states "N calls per rolling second". We keep, per credential, the send times of the
last N calls; a call may go when fewer than N were sent in the last `window` seconds (slightly
more than one second, so the platform's clock never sees N+1). This lets a lane catch up after a
slow call (unlike fixed spacing) while never exceeding the platform's limit.

Two stores, one behaviour: Redis (a sorted set per key, changed by one Lua script, atomic across
processes and hosts) when `CONNECTOR_REDIS_URL` is set, otherwise a database row per key changed
under a row lock (works on SQLite and PostgreSQL; good for one host's few workers).
"""
from __future__ import annotations

import abc
import time
import uuid

from django.conf import settings
from django.db import transaction

WINDOW_SECONDS = 1.0


class RateLimiter(abc.ABC):
    @abc.abstractmethod
    def try_acquire(self, key: str, limit: int, now: float | None = None) -> float:
        """Take one call for `key` if allowed: 0.0; else the seconds to wait before asking again."""

    def acquire(self, key: str, limit: int, *, max_wait: float = 60.0) -> bool:
        """Block until a call is allowed (True), or give up after `max_wait` seconds (False)."""
        deadline = time.monotonic() + max_wait
        while True:
            wait = self.try_acquire(key, limit)
            if wait <= 0:
                return True
            if time.monotonic() + wait > deadline:
                return False
            time.sleep(wait)

    def reset(self, key: str) -> None:  # noqa: B027 - optional
        """Forget the key's history (tests and benchmarks)."""


def _window() -> float:
    return WINDOW_SECONDS + settings.CONNECTOR_RATE_MARGIN_SECONDS


class DatabaseRateLimiter(RateLimiter):
    def try_acquire(self, key: str, limit: int, now: float | None = None) -> float:
        from .models import RateBucket

        with transaction.atomic():
            RateBucket.objects.get_or_create(key=key)
            bucket = RateBucket.objects.select_for_update().get(key=key)
            now = time.time() if now is None else now
            sent = [t for t in bucket.sent if t > now - _window()]
            if len(sent) >= limit:
                return max(0.001, sent[-limit] + _window() - now)
            sent.append(now)
            bucket.sent = sent[-limit:]
            bucket.save(update_fields=["sent"])
            return 0.0

    def reset(self, key: str) -> None:
        from .models import RateBucket

        RateBucket.objects.filter(key=key).delete()


_LUA = """
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count >= limit then
  local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', key, now, member)
redis.call('EXPIRE', key, math.ceil(window) + 1)
return '0'
"""


class RedisRateLimiter(RateLimiter):
    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url)
        self.script = self.client.register_script(_LUA)

    def try_acquire(self, key: str, limit: int, now: float | None = None) -> float:
        now = time.time() if now is None else now
        wait = float(self.script(keys=[f"ocop:rate:{key}"], args=[now, _window(), limit, f"{now}:{uuid.uuid4().hex[:8]}"]))
        return max(0.001, wait) if wait > 0 else 0.0

    def reset(self, key: str) -> None:
        self.client.delete(f"ocop:rate:{key}")


_limiter: RateLimiter | None = None
_limiter_url: str | None = None


def limiter() -> RateLimiter:
    """The process's limiter (rebuilt when the setting changes, e.g. in tests)."""
    global _limiter, _limiter_url
    url = settings.CONNECTOR_REDIS_URL
    if _limiter is None or url != _limiter_url:
        _limiter = RedisRateLimiter(url) if url else DatabaseRateLimiter()
        _limiter_url = url
    return _limiter
