"""Catalogue signals → after commit → indexing tasks. The signals are sent inside the
writing transaction; enqueueing on commit means a worker never indexes uncommitted (or
rolled-back) state, and a failure to enqueue is logged (robust) without undoing the write."""
from __future__ import annotations

import logging

from django.db import transaction

from marketplace.catalog import signals as catalog_signals

from . import tasks

logger = logging.getLogger(__name__)


def _enqueue(task, *args) -> None:
    transaction.on_commit(lambda: task.delay(*args), robust=True)


def on_product_changed(sender, product_ids=(), **kwargs) -> None:
    ids = sorted({int(pk) for pk in product_ids})
    if ids:
        _enqueue(tasks.index_products, ids)


def on_product_unpublished(sender, product_ids=(), **kwargs) -> None:
    ids = sorted({int(pk) for pk in product_ids})
    if ids:
        _enqueue(tasks.remove_products, ids)


def on_stock_changed(sender, sku_ids=(), **kwargs) -> None:
    # The task finds the SKUs' products: no query in the (checkout) transaction that sent this.
    ids = sorted({int(pk) for pk in sku_ids})
    if ids:
        _enqueue(tasks.index_skus, ids)


def on_catalog_changed(sender, product_ids=(), **kwargs) -> None:
    if product_ids:
        on_product_changed(sender, product_ids=product_ids)
    else:
        _enqueue(tasks.index_all)


def connect() -> None:
    catalog_signals.product_published.connect(on_product_changed, dispatch_uid="search.product_published")
    catalog_signals.product_unpublished.connect(on_product_unpublished, dispatch_uid="search.product_unpublished")
    catalog_signals.stock_changed.connect(on_stock_changed, dispatch_uid="search.stock_changed")
    catalog_signals.catalog_changed.connect(on_catalog_changed, dispatch_uid="search.catalog_changed")
