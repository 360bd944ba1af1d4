"""The flat search document built from a catalogue product (one per product)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import html
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch, QuerySet
from django.utils.html import strip_tags

from marketplace.catalog.models import OcopCertificate, Product, Sku

from .analysis import fold


@dataclasses.dataclass(frozen=True)
class ProductDocument:
    product_id: int
    name: str
    description: str
    sku: str
    price_vnd: int
    stock: int
    stars: int | None
    province_code: str
    province_name: str
    commune_code: str
    commune_name: str
    category_slug: str
    category_name: str
    producer_name: str
    url: str
    created_at: dt.datetime

    @property
    def place_text(self) -> str:
        return " ".join([self.commune_name, self.province_name, self.category_name, self.producer_name])

    @property
    def folded_name(self) -> str:
        return fold(self.name)

    @property
    def folded_place(self) -> str:
        return fold(self.place_text)

    @property
    def folded_body(self) -> str:
        return fold(self.description)


def indexable_products() -> QuerySet[Product]:
    """Published products with an active SKU, with everything a document needs prefetched."""
    return (
        Product.objects.filter(is_published=True, skus__is_active=True)
        .distinct()
        .select_related("producer__commune__parent", "category")
        .prefetch_related(
            Prefetch("skus", queryset=Sku.objects.filter(is_active=True).select_related("stock").order_by("position", "pk")),
            Prefetch("certificates", queryset=OcopCertificate.objects.all()),
        )
        .order_by("pk")
    )


def product_document(product: Product, today: dt.date | None = None) -> ProductDocument | None:
    """The document for a product from `indexable_products()`, or None when it is not indexable."""
    skus = list(product.skus.all())
    commune = product.producer.commune
    province = commune.parent or commune
    if not (product.is_published and skus):
        return None
    first = skus[0]
    certificate = product.current_certificate(today)
    return ProductDocument(
        product_id=product.pk,
        name=product.name,
        description=html.unescape(strip_tags(product.description or "")),
        sku=first.code,
        price_vnd=first.price_vnd,
        stock=sum(max(0, _available(sku)) for sku in skus),
        stars=certificate.stars if certificate else None,
        province_code=province.code,
        province_name=province.name,
        commune_code=commune.code,
        commune_name=commune.name,
        category_slug=product.category.slug if product.category else "",
        category_name=product.category.name if product.category else "",
        producer_name=product.producer.name,
        url=product.url_path,
        created_at=product.created_at,
    )


def _available(sku: Sku) -> int:
    try:
        return sku.stock.available
    except Sku.stock.RelatedObjectDoesNotExist:
        return 0


def documents_for(product_ids: Iterable[int]) -> dict[int, ProductDocument]:
    """Documents of those products that are indexable, by product id."""
    ids = list(product_ids)
    documents = (product_document(product) for product in indexable_products().filter(pk__in=ids))
    return {document.product_id: document for document in documents if document}


def iter_all_documents(batch_size: int = 1000) -> Iterator[list[ProductDocument]]:
    """Every indexable product's document, in batches (keyset pagination on the id)."""
    last = 0
    while True:
        batch = list(indexable_products().filter(pk__gt=last)[:batch_size])
        if not batch:
            return
        last = batch[-1].pk
        yield [document for document in map(product_document, batch) if document]
