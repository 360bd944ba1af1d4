"""On PostgreSQL with a real Celery worker process on Redis: the outbox is drained by the worker,
and with the broker down the changes wait in the outbox until the periodic drain runs."""
from __future__ import annotations

import contextlib

import pytest
from django.db import connection

from connectors import registry
from connectors.models import OutboxEntry
from marketplace import celery_app
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Sku
from tests import celery_worker
from tests.celery_worker import wait_for
from tests.fakes.platforms import NgheAn37Fake, PostMartFake, VosoFake, running

from .conftest import COMMUNE

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def live(monkeypatch, settings):
    """The fakes, configured through the environment (for the worker) and the settings (for us)."""
    with contextlib.ExitStack() as stack:
        pm = stack.enter_context(running(PostMartFake(rate_limits=True)))
        vs = stack.enter_context(running(VosoFake(rate_limits=True)))
        ng = stack.enter_context(running(NgheAn37Fake(rate_limits=True)))
        env = {"CONNECTOR_POSTMART_URL": pm.url, "CONNECTOR_POSTMART_CLIENT_ID": pm.client_id,
               "CONNECTOR_POSTMART_CLIENT_SECRET": pm.client_secret, "CONNECTOR_VOSO_URL": vs.url,
               "CONNECTOR_VOSO_APP_KEY": vs.app_key, "CONNECTOR_VOSO_APP_SECRET": vs.app_secret,
               "CONNECTOR_VOSO_SHOP_ID": vs.shop_id, "CONNECTOR_NGHEAN37_URL": ng.url,
               "CONNECTOR_NGHEAN37_API_KEYS": f"{COMMUNE}:{ng.key_for(COMMUNE)}"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings.CONNECTOR_POSTMART = {"url": pm.url, "client_id": pm.client_id, "client_secret": pm.client_secret,
                                       "webhook_secret": ""}
        settings.CONNECTOR_VOSO = {"url": vs.url, "app_key": vs.app_key, "app_secret": vs.app_secret, "shop_id": vs.shop_id}
        settings.CONNECTOR_NGHEAN37 = {"url": ng.url, "api_keys": f"{COMMUNE}:{ng.key_for(COMMUNE)}"}
        registry.adapters_reset()
        worker = celery_worker.start()
        celery_app.conf.task_always_eager = False
        try:
            yield pm, vs, ng, worker
        finally:
            celery_app.conf.task_always_eager = True
            worker.terminate()
            worker.wait(timeout=10)
            registry.adapters_reset()


def test_a_real_worker_drains_the_outbox(live, make_listing):
    pm, vs, ng, worker = live
    assert connection.vendor == "postgresql"
    make_listing(skus=[catalog.SkuData("GP-WK-1", "hũ 300g", 120000, 300)], stock=4)
    assert wait_for(lambda: pm.product_by_sku("GP-WK-1") and vs.item_by_outer_id("GP-WK-1") and ng.product_by_sku("GP-WK-1"),
                    worker)
    catalog.stock_set(sku=Sku.objects.get(code="GP-WK-1"), on_hand=9)
    assert wait_for(lambda: pm.product_by_sku("GP-WK-1")["stock"] == 9 and ng.product_by_sku("GP-WK-1")["so_luong"] == 9,
                    worker)
    assert not OutboxEntry.objects.exists()


def test_with_the_broker_down_changes_wait_in_the_outbox(live, make_listing):
    pm, vs, ng, worker = live
    make_listing(skus=[catalog.SkuData("GP-BD-1", "gói 1kg", 60000, 1000)], stock=2)
    assert wait_for(lambda: pm.product_by_sku("GP-BD-1") is not None, worker)

    good = celery_app.conf.broker_url
    _broker(url="redis://127.0.0.1:6399/3")  # nothing listens here
    try:
        catalog.stock_set(sku=Sku.objects.get(code="GP-BD-1"), on_hand=7)  # the enqueue fails, logged
    finally:
        _broker(url=good)
    assert OutboxEntry.objects.filter(sku_id=Sku.objects.get(code="GP-BD-1").pk).exists()
    assert pm.product_by_sku("GP-BD-1")["stock"] == 2

    from connectors.tasks import drain

    drain.delay()  # what beat sends every minute
    assert wait_for(lambda: pm.product_by_sku("GP-BD-1")["stock"] == 7, worker)
    assert wait_for(lambda: not OutboxEntry.objects.exists(), worker)


def _broker(*, url: str) -> None:
    """Point this process's Celery app at `url` with fresh connection pools."""
    celery_app.conf.broker_url = url
    celery_app.conf.task_publish_retry = False
    celery_app.conf.broker_connection_timeout = 1
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
