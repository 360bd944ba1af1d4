"""What a SKU should look like on the platforms, built from the catalogue in bulk, and its hashes."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Prefetch

from marketplace.catalog.models import OcopCertificate, Producer, Sku

from ..base import ListingContent
from ..models import PlatformOptOut

DESCRIPTION_MAX = 5000


def skus_with_catalogue(sku_ids: Iterable[int]):
    """SKUs with everything `content_for` reads, in a constant number of queries."""
    return (
        Sku.objects.filter(pk__in=list(sku_ids))
        .select_related("product__producer__commune__parent", "product__category", "product__image", "stock")
        .prefetch_related(Prefetch("product__certificates", queryset=OcopCertificate.objects.order_by("-stars")))
    )


def opted_out(product_ids: Iterable[int]) -> set[tuple[int, str]]:
    return set(PlatformOptOut.objects.filter(product_id__in=list(product_ids)).values_list("product_id", "platform"))


def is_sellable(sku: Sku) -> bool:
    product = sku.product
    return sku.is_active and product.is_published and product.producer.status == Producer.Status.APPROVED


def content_for(sku: Sku) -> ListingContent:
    product = sku.product
    commune = product.producer.commune
    certificate = product.current_certificate()
    stock = getattr(sku, "stock", None)
    image = product.image
    images = (_absolute(image.file.url),) if image is not None and image.file else ()
    return ListingContent(
        sku=sku.code,
        name=f"{product.name} — {sku.unit}",
        description=(product.description or product.name)[:DESCRIPTION_MAX],
        category_name=product.category.name if product.category else "Khác",
        unit=sku.unit,
        price_vnd=int(sku.price_vnd),
        stock=max(stock.available, 0) if stock is not None else 0,
        weight_gram=sku.weight_gram,
        images=images,
        province_code=commune.parent.code if commune.parent_id else "",
        commune_code=commune.code,
        ocop_stars=certificate.stars if certificate else None,
    )


def _absolute(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else settings.SITE_BASE_URL.rstrip("/") + url


@functools.lru_cache(maxsize=8192)
def content_hash(content: ListingContent) -> str:
    """Hash of everything but stock: stock alone changes go through the cheaper stock call."""
    data = dataclasses.asdict(content)
    data.pop("stock")
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@functools.lru_cache(maxsize=8192)
def full_hash(content: ListingContent) -> str:
    return hashlib.sha256(f"{content_hash(content)}:{content.stock}".encode()).hexdigest()
