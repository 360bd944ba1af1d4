"""Indexing tasks: take ids, are idempotent, retry with backoff when the search service is
unavailable (the catalogue write they follow is already committed and never lost)."""
from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from . import services
from .backends.base import SearchUnavailable

logger = logging.getLogger(__name__)
RETRY = {"autoretry_for": (SearchUnavailable, DatabaseError), "retry_backoff": True, "retry_backoff_max": 600,
         "retry_jitter": True, "max_retries": 8, "acks_late": True}


@shared_task(name="search.tasks.index_products", **RETRY)
def index_products(product_ids: list[int]) -> int:
    """Index (or drop, when no longer indexable) these products."""
    services.search_index_products(product_ids=product_ids)
    return len(product_ids)


@shared_task(name="search.tasks.index_skus", **RETRY)
def index_skus(sku_ids: list[int]) -> int:
    """Index the products of these SKUs (after a stock change: the worker, not the web request
    that changed the stock, looks up which products they are)."""
    from marketplace.catalog.models import Sku

    product_ids = sorted(set(Sku.objects.filter(pk__in=list(sku_ids)).order_by().values_list("product_id", flat=True)))
    if product_ids:
        services.search_index_products(product_ids=product_ids)
    return len(product_ids)


@shared_task(name="search.tasks.remove_products", **RETRY)
def remove_products(product_ids: list[int]) -> int:
    services.search_remove_products(product_ids=product_ids)
    return len(product_ids)


@shared_task(name="search.tasks.index_all", **RETRY)
def index_all() -> int:
    """After a change that may touch any product (a category or producer), refresh everything."""
    from .documents import indexable_products
    from .models import SearchDocument

    ids = set(indexable_products().values_list("pk", flat=True)) | set(SearchDocument.objects.values_list("pk", flat=True))
    ids_sorted = sorted(ids)
    for start in range(0, len(ids_sorted), 500):
        services.search_index_products(product_ids=ids_sorted[start:start + 500])
    return len(ids_sorted)
