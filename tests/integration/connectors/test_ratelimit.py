"""The per-credential limiter: never more than the platform's calls in any rolling second."""
from __future__ import annotations

import collections
import importlib

import pytest

from connectors.ratelimit import DatabaseRateLimiter
from marketplace.catalog import services as catalog

pytestmark = pytest.mark.django_db


def test_database_limiter_keeps_a_rolling_window(settings):
    settings.CONNECTOR_RATE_MARGIN_SECONDS = 0.03
    limiter = DatabaseRateLimiter()
    assert all(limiter.try_acquire("postmart", 10, now=100.0 + i * 0.01) == 0 for i in range(10))
    wait = limiter.try_acquire("postmart", 10, now=100.2)
    assert wait == pytest.approx(100.0 + 1.03 - 100.2)
    assert limiter.try_acquire("voso", 5, now=100.2) == 0  # another credential has its own window
    assert limiter.try_acquire("postmart", 10, now=101.031) == 0  # the first call left the window
    assert limiter.try_acquire("postmart", 10, now=101.032) > 0  # ... and only it


@pytest.fixture
def fakes_options():
    return {"rate_limits": True, "timeout_sleep": 0.6}


def test_a_sync_with_limits_on_is_never_refused(platforms, make_listing, settings):
    settings.CONNECTOR_RATE_LIMITS = True
    make_listing(skus=[catalog.SkuData(f"GP-RT-{n}", "gói", 10000 + n * 100, 100) for n in range(3)])
    platforms.sync()
    assert [fake.rate_limited for fake in platforms.all] == [0, 0, 0]
    assert len(platforms.postmart.live_products()) == 3 and len(platforms.nghean37.live_products()) == 3


def test_every_request_of_the_sync_is_counted_by_the_limiter(platforms, make_listing, settings, monkeypatch):
    """The scheduler's grant pays for a piece of work's first request; every further request of it
    (PostMart's token, the category list before a first create) waits for the limiter too, so the
    platform never receives more requests than the limiter granted."""
    from connectors import ratelimit
    drain = importlib.import_module("connectors.services.drain")  # the module (the package exports a function of that name)

    settings.CONNECTOR_RATE_LIMITS = True
    real, granted = ratelimit.limiter(), collections.Counter()

    class Counting:
        def try_acquire(self, key, limit, **kwargs):
            wait = real.try_acquire(key, limit, **kwargs)
            granted[key.split(":")[0]] += wait == 0
            return wait

        def acquire(self, key, limit, **kwargs):
            granted[key.split(":")[0]] += 1
            return real.acquire(key, limit, **kwargs)

    monkeypatch.setattr(drain, "limiter", lambda: Counting())
    make_listing(skus=[catalog.SkuData(f"GP-RQ-{n}", "gói", 20000 + n * 100, 100) for n in range(3)])
    platforms.reset_counters()
    platforms.sync()
    assert len(platforms.postmart.live_products()) == 3
    received = {"postmart": platforms.postmart.total_calls, "voso": platforms.voso.total_calls,
                "nghean37": platforms.nghean37.total_calls}
    assert dict(granted) == received
    assert received["postmart"] > 3  # the token and the category list came on top of the creates
    assert [fake.rate_limited for fake in platforms.all] == [0, 0, 0]
