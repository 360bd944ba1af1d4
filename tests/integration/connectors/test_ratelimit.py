"""The per-credential limiter: never more than the platform's calls in any rolling second."""
from __future__ import annotations

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
