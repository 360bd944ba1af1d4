"""Order import with the fakes' rate limits on: every request of an import (each page, each
acknowledgement, a token fetch) first waits for the credential's limiter, so an import that reads
several pages is never refused with 429."""
from __future__ import annotations

import os
import threading
import time

import pytest

from connectors import registry
from connectors.models import PlatformOrder
from connectors.services import orders as order_services
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Stock

pytestmark = pytest.mark.django_db

GOOD, UNKNOWN = 2, 43  # 45 orders per platform: 3 pages on 37nghean (20 a page); the unknown SKUs are not acknowledged
VOSO_AND_POSTMART_EXTRA = 65  # 110 orders: 3 pages of 50 on Voso and PostMart


@pytest.fixture
def fakes_options():
    return {"rate_limits": True, "timeout_sleep": 0.6}


class Recorder:
    """One timeline of the limiter's grants (from the import's pace hook) and the requests each
    fake received (its `before_call`): a request runs in the fake's thread while ours waits for
    the answer, so the order of the two is the order things happened."""

    def __init__(self):
        self.events: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()

    def add(self, *event: str) -> None:
        with self._lock:
            self.events.append(event)

    def limiter(self, real):
        recorder = self

        class Spy:
            def acquire(self, key, limit, **kwargs):
                granted = real().acquire(key, limit, **kwargs)
                recorder.add("pace", key.split(":")[0], "")
                return granted

            def __getattr__(self, name):
                return getattr(real(), name)

        return Spy()


def _place_orders(platforms, code: str) -> None:
    for fake in platforms.all:
        extra = VOSO_AND_POSTMART_EXTRA if fake is not platforms.nghean37 else 0
        for _ in range(GOOD):
            fake.add_order([(code, 1)])
        for n in range(UNKNOWN + extra):
            fake.add_order([(f"KHONG-CO-{n}", 1)], **({"commune_code": "02923"} if fake is platforms.nghean37 else {}))


def _import_with_limits_on(platforms, make_listing, settings, monkeypatch):
    settings.CONNECTOR_RATE_LIMITS = True
    make_listing(skus=[catalog.SkuData("GP-PG-1", "gói", 50000, 100)], stock=100)
    platforms.sync()
    # The sync's last calls leave the platforms' one-second windows first: the listing sync takes
    # one limiter grant per adapter call, and a first create also reads the category list.
    time.sleep(1.1)
    _place_orders(platforms, "GP-PG-1")
    platforms.reset_counters()

    recorder = Recorder()
    real = order_services.limiter
    monkeypatch.setattr(order_services, "limiter", lambda: recorder.limiter(real))
    for fake in platforms.all:
        fake.before_call = lambda op, request, name=fake.name: recorder.add("call", name, op)
    summaries = platforms.import_orders()
    for fake in platforms.all:
        fake.before_call = None
    return recorder, summaries


def _check(platforms, recorder, summaries):
    assert [fake.rate_limited for fake in platforms.all] == [0, 0, 0]
    assert all(not summary.errors for summary in summaries.values()), summaries
    assert platforms.nghean37.calls["list_orders"] == 3
    assert platforms.voso.calls["list_orders"] >= 4 and platforms.postmart.calls["list_orders"] >= 4  # new: 3 pages, cancelled: 1

    # Every request the fakes received was preceded by a grant of the limiter for its platform.
    calls = [event for event in recorder.events if event[0] == "call"]
    assert len(calls) == sum(fake.total_calls for fake in platforms.all)
    for index, event in enumerate(recorder.events):
        if event[0] == "call":
            assert index > 0 and recorder.events[index - 1][:2] == ("pace", event[1]), recorder.events[max(0, index - 3):index + 1]
    paces = [event for event in recorder.events if event[0] == "pace"]
    assert len(paces) == len(calls)

    for fake in platforms.all:
        assert fake.calls["ack"] == GOOD
    assert PlatformOrder.objects.filter(state=PlatformOrder.State.IMPORTED, acknowledged_at__isnull=False).count() == 3 * GOOD
    assert PlatformOrder.objects.filter(state=PlatformOrder.State.NEEDS_ATTENTION).count() == 3 * UNKNOWN + 2 * VOSO_AND_POSTMART_EXTRA
    assert Stock.objects.get(sku__code="GP-PG-1").available == 100 - 3 * GOOD


def test_a_multi_page_import_with_limits_on_paces_every_request(platforms, make_listing, settings, monkeypatch):
    recorder, summaries = _import_with_limits_on(platforms, make_listing, settings, monkeypatch)
    _check(platforms, recorder, summaries)


@pytest.mark.services
def test_a_multi_page_import_paced_by_the_shared_redis_limiter(platforms, make_listing, settings, monkeypatch):
    settings.CONNECTOR_REDIS_URL = os.environ["CELERY_BROKER_URL"]
    keys = [lane.key for lane in registry.lanes()]
    for key in keys:
        order_services.limiter().reset(key)
    try:
        recorder, summaries = _import_with_limits_on(platforms, make_listing, settings, monkeypatch)
        _check(platforms, recorder, summaries)
    finally:
        for key in keys:
            order_services.limiter().reset(key)
