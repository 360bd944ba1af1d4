"""Reads of the catalogue. Keyword-only, typed."""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import Sku


def skus_owned_elsewhere(*, codes: Iterable[str], product_id: int | None) -> QuerySet[Sku]:
    """SKUs with these codes that belong to a product other than `product_id` (any product when
    None). A SKU code belongs to one product, and so to one producer, for good: these may not be
    taken over by a publish or an import."""
    owned = Sku.objects.filter(code__in=set(codes)).select_related("product__producer").order_by("code")
    return owned.exclude(product_id=product_id) if product_id else owned
