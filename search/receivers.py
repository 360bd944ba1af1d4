"""Catalogue signals → an outbox row in the same transaction → after commit, the indexing task.

The signals are sent inside the writing transaction: the row commits (or rolls back) with the
change, and enqueueing on commit means a worker never indexes uncommitted state. A failure to
enqueue is logged (robust) without undoing the write; a lost task leaves its row to the sweep."""
from __future__ import annotations

import logging

from django.db import transaction

from marketplace.catalog import signals as catalog_signals

from . import tasks
from .outbox import Kind, search_outbox_record

logger = logging.getLogger(__name__)


def _record(kind: str, task, ids: list[int] | None = None) -> None:
    if ids is None:
        search_outbox_record(kind=kind)
        transaction.on_commit(lambda: task.delay(), robust=True)
        return
    search_outbox_record(kind=kind, refs=ids)
    transaction.on_commit(lambda: task.delay(ids), robust=True)


def on_product_changed(sender, product_ids=(), **kwargs) -> None:
    ids = sorted({int(pk) for pk in product_ids})
    if ids:
        _record(Kind.PRODUCT, tasks.index_products, ids)


def on_product_unpublished(sender, product_ids=(), **kwargs) -> None:
    ids = sorted({int(pk) for pk in product_ids})
    if ids:
        _record(Kind.PRODUCT, tasks.remove_products, ids)


def on_stock_changed(sender, sku_ids=(), **kwargs) -> None:
    # Recorded by SKU: the task finds the SKUs' products, not the (checkout) transaction that sent this.
    ids = sorted({int(pk) for pk in sku_ids})
    if ids:
        _record(Kind.SKU, tasks.index_skus, ids)


def on_catalog_changed(sender, product_ids=(), **kwargs) -> None:
    if product_ids:
        on_product_changed(sender, product_ids=product_ids)
    else:
        _record(Kind.ALL, tasks.index_all)


def connect() -> None:
    catalog_signals.product_published.connect(on_product_changed, dispatch_uid="search.product_published")
    catalog_signals.product_unpublished.connect(on_product_unpublished, dispatch_uid="search.product_unpublished")
    catalog_signals.stock_changed.connect(on_stock_changed, dispatch_uid="search.stock_changed")
    catalog_signals.catalog_changed.connect(on_catalog_changed, dispatch_uid="search.catalog_changed")
