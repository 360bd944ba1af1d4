"""Fake PostMart-, Voso- and 37nghean-style platforms for tests, benchmarks and the local demo.

Each fake implements its document in platform-apis/ (auth, signatures, limits, quirks) in memory
and serves real HTTP/1.1 (keep-alive) on 127.0.0.1.

Start one (a free port is chosen; `fake.url` is the base URL to give the adapter)::

    from tests.fakes.platforms import PostMartFake, VosoFake, NgheAn37Fake, running

    with running(PostMartFake(rate_limits=False)) as fake:
        adapter = PostMartAdapter(base_url=fake.url, client_id=fake.client_id, client_secret=fake.client_secret)

Credentials (constructor arguments, defaults shown):
    PostMartFake(client_id="demo-postmart", client_secret="demo-postmart-secret", token_ttl=3600)
    VosoFake(app_key="demo-voso", app_secret="demo-voso-secret", shop_id="10001")
    NgheAn37Fake(api_keys={"02923": "demo-nghean37-02923", ...})   # commune code → key; fake.key_for(code)

Common constructor knobs: `rate_limits=True` (the published per-credential limits: 10, 5, 2 calls
per rolling second; `fake.rate_limits = False` switches them off at any time),
`review_after_reads=1` (an item under review goes live on its Nth status read; None = never),
`review_after_seconds=None` (… or that long after it was submitted), `timeout_sleep=1.5`,
`slow_sleep=0.2`. `fake.clock_skew = 1000` sets the platform clock off (Voso's timestamp window).

State and actions for tests:
    fake.products / fake.items (Voso) / fake.orders          in-memory dicts (hold `fake.lock`)
    fake.product_by_sku(sku) / fake.item_by_outer_id(sku)   the listing of a SKU
    fake.set_status(id, status, reason)                       e.g. PostMart "rejected", 37nghean "tu_choi";
    fake.ban(item_id, reason) (Voso), fake.reject(ma, reason) (37nghean)
    fake.add_order([(sku, qty), ...]) -> order id             a buyer orders (new / to_confirm / moi)
    fake.cancel_order(order_id)                               the buyer cancels
    fake.revoke_tokens()                                      PostMart: every token becomes invalid_token
    fake.before_call = lambda op, request: ...                runs before each call (inject between pages)

Faults (`fake.faults`; kinds: "5xx", "html", "timeout", "429", "lost", "lost_5xx", "slow",
"malformed", "busy" — see server.FAULT_KINDS):
    fake.faults.next("lost", op="create")          the next create commits, then the connection drops
    fake.faults.next("5xx", 3)                     the next 3 calls answer 5xx
    fake.faults.random(0.3, seed=1)                30 % of calls fail with a random RANDOM_KINDS fault
    fake.faults.random(0.3, ("timeout", "lost"), ops={"create", "update"})
    fake.faults.clear(); fake.faults.injected      Counter of faults served
  A "timeout" sleeps `fake.timeout_sleep` seconds: give the adapter a session with a shorter read
  timeout (`ConnectorSession(timeout=(1, 0.5))`) so tests stay fast.

Counters (operation names: auth, categories, create, update, stock, delist, relist, get,
list_products, list_orders, ack): `fake.calls` (Counter of every request received, whatever its
outcome), `fake.write_calls` (create/update/stock/delist/relist/ack), `fake.total_calls`,
`fake.rate_limited` (requests refused by the limit), `fake.reset_counters()`.

Over HTTP (for a fake served by another process; these calls are not counted):
    GET  <url>/_fake/stats                     {"calls", "write_calls", "total_calls", "rate_limited", ...}
    POST <url>/_fake/reset                     zero the counters
    POST <url>/_fake/config  {"rate_limits": false, "fault_rate": 0.3, "fault_kinds": ["5xx", "lost"],
                              "review_after_reads": null, "review_after_seconds": 5}
    POST <url>/_fake/orders  {"lines": [["SKU", 2]]}  → {"id"}   (37nghean: add "commune_code" for unknown SKUs)
    POST <url>/_fake/orders/<id>/cancel

Ceiling for benchmarks: `tests.fakes.platforms.measure.bare_http_rate(fake, calls=2000, threads=1)`
(calls/s of a bare loop of authenticated requests through ConnectorSession; it adds to the
fake's counters, so `reset_counters()` afterwards).

All three at once, for the demo: `python -m tests.fakes.platforms [--help]` prints the
CONNECTOR_* variables to export and serves until interrupted.
"""
from tests.fakes.platforms.nghean37 import NgheAn37Fake
from tests.fakes.platforms.postmart import PostMartFake
from tests.fakes.platforms.server import FAULT_KINDS, RANDOM_KINDS, FakePlatform, running
from tests.fakes.platforms.voso import VosoFake

__all__ = ["FAULT_KINDS", "RANDOM_KINDS", "FakePlatform", "NgheAn37Fake", "PostMartFake", "VosoFake", "running"]
