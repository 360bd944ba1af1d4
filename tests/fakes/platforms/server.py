"""What the three fake platforms share: a threaded HTTP/1.1 server on 127.0.0.1, call counters,
rate limits per credential, and fault injection.

A fake subclasses `FakePlatform` and implements `route()` (request → operation name + handler),
`authenticate()` (request → credential key, or an error Response) and the platform-specific
error answers. Handlers run under `fake.lock`, so state changes are atomic.
"""
from __future__ import annotations

import collections
import dataclasses
import json
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs

from tests.fakes.platforms.faults import FAULT_KINDS, RANDOM_KINDS, Faults, RateLimiter

DROP = object()  # handler result: close the connection without answering


@dataclasses.dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8"), keep_blank_values=True).items()}


@dataclasses.dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


def json_response(status: int, payload, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def html_response(status: int = 502) -> Response:
    page = (f"<html><head><title>{status} Bad Gateway</title></head><body><center><h1>{status} Bad Gateway"
            "</h1></center><hr><center>nginx</center></body></html>")
    return Response(status, page.encode(), {"Content-Type": "text/html"})


class FakePlatform:
    """Base of the fakes. Public knobs: `rate_limits` (bool), `faults`, `timeout_sleep`,
    `slow_sleep`, `clock_skew` (seconds added to the platform's clock), `before_call`
    (callable(op, request) run before each call, e.g. to inject orders between pages).
    Counters: `calls[op]` (every request received, whatever the outcome), `write_calls`,
    `rate_limited` (answers refused by the limit)."""

    name = "fake"
    rate_limit_per_second = 10
    write_ops: frozenset[str] = frozenset({"create", "update", "stock", "delist", "relist", "ack"})

    def __init__(self, *, rate_limits: bool = True, review_after_reads: int | None = 1,
                 review_after_seconds: float | None = None, timeout_sleep: float = 1.5, slow_sleep: float = 0.2):
        self.rate_limits = rate_limits
        self.review_after_reads = review_after_reads
        self.review_after_seconds = review_after_seconds
        self.timeout_sleep = timeout_sleep
        self.slow_sleep = slow_sleep
        self.clock_skew = 0.0
        self.before_call: Callable[[str, Request], None] | None = None
        self.faults = Faults()
        self.lock = threading.RLock()
        self.calls: collections.Counter[str] = collections.Counter()
        self.rate_limited = 0
        self.url = ""
        self._limiter = RateLimiter(self.rate_limit_per_second)
        self._next_id = 0

    # --- for tests -----------------------------------------------------------------------

    @property
    def write_calls(self) -> int:
        with self.lock:
            return sum(n for op, n in self.calls.items() if op in self.write_ops)

    @property
    def total_calls(self) -> int:
        with self.lock:
            return sum(self.calls.values())

    def reset_counters(self) -> None:
        with self.lock:
            self.calls.clear()
            self.rate_limited = 0

    def now(self) -> float:
        """The platform's clock (unix seconds)."""
        return time.time() + self.clock_skew

    def new_id(self) -> int:
        with self.lock:
            self._next_id += 1
            return self._next_id

    def review_due(self, item: dict) -> bool:
        """Whether an item under review should now be accepted (counts its status reads)."""
        item["_reads"] = item.get("_reads", 0) + 1
        by_reads = self.review_after_reads is not None and item["_reads"] >= self.review_after_reads
        by_time = self.review_after_seconds is not None and self.now() - item["_submitted"] >= self.review_after_seconds
        return by_reads or by_time

    def stats(self) -> dict:
        with self.lock:
            return {"platform": self.name, "calls": dict(self.calls), "write_calls": self.write_calls,
                    "total_calls": self.total_calls, "rate_limited": self.rate_limited,
                    "faults_injected": dict(self.faults.injected), "rate_limits": self.rate_limits}

    def control(self, request: Request) -> Response:
        """`/_fake/...` — the same knobs over HTTP, for a fake served by another process (not counted):
        GET stats; POST reset; POST config {"rate_limits", "fault_rate", "fault_kinds",
        "review_after_reads", "review_after_seconds"}; POST orders {"lines": [[sku, qty]]} → {"id"};
        POST orders/<id>/cancel."""
        action = request.path[len("/_fake/"):].strip("/")
        try:
            payload = request.json() if request.body else {}
        except ValueError:
            return json_response(400, {"error": "body is not JSON"})
        if request.method == "GET" and action == "stats":
            return json_response(200, self.stats())
        if request.method != "POST":
            return json_response(405, {"error": "POST"})
        if action == "reset":
            self.reset_counters()
        elif action == "config":
            self._configure(payload)
        elif action == "orders":
            options = {k: v for k, v in payload.items() if k != "lines"}  # e.g. "commune_code" on 37nghean
            return json_response(201, {"id": self.add_order([tuple(line) for line in payload.get("lines", [])], **options)})
        elif action.startswith("orders/") and action.endswith("/cancel"):
            self.cancel_order(action.split("/")[1])
        else:
            return json_response(404, {"error": f"unknown control {action!r}"})
        return json_response(200, self.stats())

    def _configure(self, payload: dict) -> None:
        for name in ("rate_limits", "review_after_reads", "review_after_seconds", "timeout_sleep", "slow_sleep"):
            if name in payload:
                setattr(self, name, payload[name])
        if "fault_rate" in payload:
            self.faults.random(float(payload["fault_rate"]), tuple(payload.get("fault_kinds") or RANDOM_KINDS), seed=None)

    def add_order(self, lines: list[tuple[str, int]], **kwargs) -> str:
        raise NotImplementedError

    def cancel_order(self, order_id: str) -> None:
        raise NotImplementedError

    # --- for subclasses ------------------------------------------------------------------

    def route(self, request: Request) -> tuple[str, Callable[[Request, str], Response]] | None:
        raise NotImplementedError

    def authenticate(self, request: Request, op: str) -> str | Response:
        raise NotImplementedError

    def fault_response(self, kind: str) -> Response:
        """The platform's own answer for '5xx', '429' and 'busy'."""
        if kind == "429":
            return json_response(429, {"error": "rate_limited"}, {"Retry-After": "1"})
        return json_response(503, {"error": "unavailable"})

    def not_found_route(self) -> Response:
        return json_response(404, {"error": "not_found"})

    # --- the pipeline --------------------------------------------------------------------

    def handle(self, request: Request):
        if request.path.startswith("/_fake/"):
            return self.control(request)
        routed = self.route(request)
        if routed is None:
            return self.not_found_route()
        op, handler = routed
        with self.lock:
            self.calls[op] += 1
        if self.before_call is not None:
            self.before_call(op, request)
        fault = self.faults.take(op)
        if fault in ("5xx", "429", "busy"):
            return self.fault_response(fault)
        if fault == "html":
            return html_response(502)
        if fault == "malformed":
            return Response(200, b'{"id": "pm_', {"Content-Type": "application/json"})
        if fault == "timeout":
            time.sleep(self.timeout_sleep)
            return DROP
        if fault == "slow":
            time.sleep(self.slow_sleep)
        credential = self.authenticate(request, op)
        if isinstance(credential, Response):
            return credential
        if self.rate_limits and not self._limiter.allow(credential):
            with self.lock:
                self.rate_limited += 1
            return self.fault_response("429")
        with self.lock:
            response = handler(request, credential)
        if fault == "lost":
            return DROP
        if fault == "lost_5xx":
            return html_response(502)
        return response


from tests.fakes.platforms.serving import running  # noqa: E402 - re-exported for `server.running`

__all__ = ["DROP", "FAULT_KINDS", "RANDOM_KINDS", "FakePlatform", "Request", "Response", "html_response",
           "json_response", "running"]
