"""A bare HTTP loop against a fake: the ceiling a sync's call rate is compared with.

Each call is one authenticated stock write for an unknown listing (the fake authenticates,
rate-limits, routes and answers "not found"), sent with the connectors' own session, so the
figure includes what any adapter call pays for HTTP and nothing else.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from connectors.http import ConnectorSession
from connectors.platforms.voso import sign
from tests.fakes.platforms.nghean37 import NgheAn37Fake
from tests.fakes.platforms.postmart import PostMartFake
from tests.fakes.platforms.server import FakePlatform
from tests.fakes.platforms.voso import VosoFake


def bare_call(fake: FakePlatform, session: ConnectorSession) -> Callable[[], object]:
    """One representative request for `fake`, ready to repeat."""
    if isinstance(fake, PostMartFake):
        token = session.post(f"{fake.url}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": fake.client_id, "client_secret": fake.client_secret,
        }).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        return lambda: session.patch(f"{fake.url}/api/v1/products/pm_none/stock", json={"stock": 1}, headers=headers)
    if isinstance(fake, VosoFake):
        def voso_call():
            fields = {"app_key": fake.app_key, "shop_id": fake.shop_id, "timestamp": str(int(time.time())),
                      "data": json.dumps({"item_id": "0", "quantity": 1})}
            return session.post(f"{fake.url}/openapi/item.stock.update", data={**fields, "sign": sign(fake.app_secret, fields)})
        return voso_call
    if isinstance(fake, NgheAn37Fake):
        headers = {"X-Api-Key": next(iter(fake.api_keys.values()))}
        return lambda: session.put(f"{fake.url}/api/san-pham/1", json={}, headers=headers)
    raise TypeError(f"no bare call for {type(fake).__name__}")


def bare_http_rate(fake: FakePlatform, *, calls: int = 2000, threads: int = 1) -> float:
    """Calls per second of `threads` loops sharing `calls` bare requests (rate limits are the
    caller's business: switch them off to measure the ceiling)."""
    sessions = [ConnectorSession() for _ in range(threads)]
    loops = [bare_call(fake, s) for s in sessions]
    workers = [threading.Thread(target=lambda f=f: [f() for _ in range(calls // threads)]) for f in loops]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    for s in sessions:
        s.close()
    return (calls // threads) * threads / elapsed
