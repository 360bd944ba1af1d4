"""Catalogue signals → outbox rows in the same transaction → after commit, the drain task.

The rows make the change durable with the catalogue write: if the broker is down when the
transaction commits, the enqueue fails (logged, robust) and the rows wait for the periodic drain."""
from __future__ import annotations

import logging

from django.db import connection, transaction

from marketplace.catalog import signals as catalog_signals

from . import selectors, services

logger = logging.getLogger(__name__)


def _drain_after_commit() -> None:
    if not connection.in_atomic_block:
        _enqueue_drain()
        return
    # One drain per transaction, however many catalogue events it sent.
    if any(getattr(func, "connectors_drain", False) for _sids, func, _robust in connection.run_on_commit):
        return
    transaction.on_commit(_enqueue_drain, robust=True)


def _enqueue_drain() -> None:
    from . import tasks

    tasks.drain.delay()


_enqueue_drain.connectors_drain = True


def _record(sku_ids=None, product_ids=None, reason: str = "") -> None:
    if not selectors.any_platform_configured():
        return  # no platform configured: nothing to keep in step
    if product_ids is not None:
        count = services.outbox_record_products(product_ids=product_ids, reason=reason)
    else:
        count = services.outbox_record(sku_ids=sku_ids, reason=reason)
    if count:
        _drain_after_commit()


def on_product_published(sender, product_ids=(), **kwargs) -> None:
    _record(product_ids=product_ids, reason="published")


def on_product_unpublished(sender, product_ids=(), **kwargs) -> None:
    _record(product_ids=product_ids, reason="unpublished")


def on_stock_changed(sender, sku_ids=(), **kwargs) -> None:
    _record(sku_ids=sku_ids, reason="stock")


def on_catalog_changed(sender, product_ids=(), **kwargs) -> None:
    """A certificate (stars, expiry), producer or category changed: the content may differ."""
    if product_ids:
        _record(product_ids=product_ids, reason="changed")
    elif selectors.any_platform_configured():
        from . import tasks

        transaction.on_commit(lambda: tasks.sync_listings.delay(), robust=True)


def connect() -> None:
    catalog_signals.product_published.connect(on_product_published, dispatch_uid="connectors.product_published")
    catalog_signals.product_unpublished.connect(on_product_unpublished, dispatch_uid="connectors.product_unpublished")
    catalog_signals.stock_changed.connect(on_stock_changed, dispatch_uid="connectors.stock_changed")
    catalog_signals.catalog_changed.connect(on_catalog_changed, dispatch_uid="connectors.catalog_changed")
