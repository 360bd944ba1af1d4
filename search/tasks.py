"""Indexing tasks: take ids, are idempotent, retry with backoff when the search service is
unavailable (the catalogue write they follow is already committed and never lost). Each applies
the outbox rows the catalogue change recorded and clears them; rows a lost task left behind are
applied by the beat sweep."""
from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from .backends.base import SearchUnavailable
from .outbox import Kind, search_outbox_apply, search_outbox_sweep

logger = logging.getLogger(__name__)
RETRY = {"autoretry_for": (SearchUnavailable, DatabaseError), "retry_backoff": True, "retry_backoff_max": 600,
         "retry_jitter": True, "max_retries": 8, "acks_late": True}


@shared_task(name="search.tasks.index_products", **RETRY)
def index_products(product_ids: list[int]) -> int:
    """Index (or drop, when no longer indexable) these products."""
    search_outbox_apply(kind=Kind.PRODUCT, refs=product_ids)
    return len(product_ids)


@shared_task(name="search.tasks.index_skus", **RETRY)
def index_skus(sku_ids: list[int]) -> int:
    """Index the products of these SKUs (after a stock change: the worker, not the web request
    that changed the stock, looks up which products they are)."""
    return search_outbox_apply(kind=Kind.SKU, refs=sku_ids)


@shared_task(name="search.tasks.remove_products", **RETRY)
def remove_products(product_ids: list[int]) -> int:
    """Unpublished products: indexing drops what is no longer indexable (and keeps one that was
    published again meanwhile)."""
    search_outbox_apply(kind=Kind.PRODUCT, refs=product_ids)
    return len(product_ids)


@shared_task(name="search.tasks.index_all", **RETRY)
def index_all() -> int:
    """After a change that may touch any product (a category or producer), refresh everything."""
    return search_outbox_apply(kind=Kind.ALL)


@shared_task(name="search.tasks.sweep", **RETRY)
def sweep() -> int:
    """Every minute: apply the changes whose task was lost (rows older than the sweep delay)."""
    indexed = search_outbox_sweep()
    if indexed:
        logger.info("search outbox sweep indexed %s products", indexed)
    return indexed
