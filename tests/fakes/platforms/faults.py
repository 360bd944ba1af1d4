"""Fault injection and rate limits of the fake platforms."""
from __future__ import annotations

import collections
import random
import threading
import time

#: what a fault makes the fake do instead of (or after) answering normally
FAULT_KINDS = (
    "5xx",        # the platform's 5xx answer (JSON or not, as the platform does), nothing done
    "html",       # 502 with an HTML error page, nothing done
    "timeout",    # sleep `timeout_sleep` seconds (past the client's timeout), then drop; nothing done
    "429",        # the platform's rate-limit answer, nothing done
    "lost",       # do the call (commit), then drop the connection without an answer
    "lost_5xx",   # do the call (commit), then answer 502 as if it failed
    "slow",       # sleep `slow_sleep` seconds, then answer normally
    "malformed",  # 200 with a body cut in the middle of its JSON, nothing done
    "busy",       # the platform's "busy" answer (Voso code 5000; elsewhere like "5xx")
)
RANDOM_KINDS = ("5xx", "html", "timeout", "429", "lost", "lost_5xx")


class Faults:
    """Fault plan of one fake. `next(kind, n, op=)` queues faults for the next matching calls;
    `random(fraction, kinds, ops=, seed=)` makes that share of matching calls fail at random."""

    def __init__(self):
        self._lock = threading.Lock()
        self._queue: list[tuple[str, str | None]] = []
        self._fraction = 0.0
        self._kinds: tuple[str, ...] = RANDOM_KINDS
        self._ops: frozenset[str] | None = None
        self._random = random.Random(0)
        self.injected: collections.Counter[str] = collections.Counter()

    def next(self, kind: str, n: int = 1, *, op: str | None = None) -> None:
        _check_kind(kind)
        with self._lock:
            self._queue.extend([(kind, op)] * n)

    def random(self, fraction: float, kinds: tuple[str, ...] = RANDOM_KINDS, *, ops=None, seed: int | None = 0) -> None:
        for kind in kinds:
            _check_kind(kind)
        with self._lock:
            self._fraction, self._kinds = fraction, tuple(kinds)
            self._ops = frozenset(ops) if ops else None
            self._random = random.Random(seed)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._fraction = 0.0

    def take(self, op: str) -> str | None:
        with self._lock:
            for i, (kind, wanted) in enumerate(self._queue):
                if wanted is None or wanted == op:
                    del self._queue[i]
                    self.injected[kind] += 1
                    return kind
            if self._fraction and (self._ops is None or op in self._ops) and self._random.random() < self._fraction:
                kind = self._random.choice(self._kinds)
                self.injected[kind] += 1
                return kind
        return None


def _check_kind(kind: str) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault {kind!r}; one of {FAULT_KINDS}")


class RateLimiter:
    """At most `limit` calls per rolling second per credential."""

    def __init__(self, limit: int):
        self.limit = limit
        self._calls: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            window = self._calls[key]
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= self.limit:
                return False
            window.append(now)
            return True
