"""What a SKU should look like on the platforms, built from the catalogue in bulk, and its hashes."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from marketplace.catalog.models import OcopCertificate, Producer, Product, Sku

from ..base import ListingContent
from ..models import PlatformOptOut

DESCRIPTION_MAX = 5000


@dataclasses.dataclass(frozen=True, slots=True)
class CatalogueSku:
    """What the synchroniser needs to know about one SKU (see `catalogue`)."""

    pk: int
    product_id: int
    commune_code: str
    sellable: bool
    content: ListingContent | None  # None when not sellable, or when not asked for


# The columns `catalogue` reads, in one query.
_COLUMNS = (
    "pk", "product_id", "code", "unit", "price_vnd", "weight_gram", "is_active", "product__name", "product__description",
    "product__is_published", "product__category_id", "product__category__name", "product__image__file",
    "product__producer__status", "product__producer__commune__code", "product__producer__commune__parent_id",
    "product__producer__commune__parent__code", "stock__on_hand", "stock__reserved",
)


def catalogue(sku_ids: Iterable[int], *, with_content: bool = True) -> dict[int, CatalogueSku]:
    """sku id → whether it is sellable (active, published, producer approved), its commune and, when
    sellable and `with_content`, what it should look like on the platforms. Two queries at most, read
    as plain rows: a SKU with its product, producer, commune, category, image and stock would
    otherwise be ten or so model instances, for every SKU the synchroniser looks at."""
    rows = list(Sku.objects.filter(pk__in=list(sku_ids)).order_by().values_list(*_COLUMNS))
    approved = Producer.Status.APPROVED
    sellable = {row[0]: bool(row[6] and row[9] and row[13] == approved) for row in rows}
    stars = _ocop_stars({row[1] for row in rows if sellable[row[0]]}) if with_content else {}
    storage = _image_storage()
    result = {}
    for (pk, product_id, code, unit, price, weight, _active, name, description, _published, category_id, category_name,
         image_file, _status, commune_code, parent_id, parent_code, on_hand, reserved) in rows:
        content = None
        if with_content and sellable[pk]:
            content = ListingContent(
                sku=code,
                name=f"{name} — {unit}",
                description=(description or name)[:DESCRIPTION_MAX],
                category_name=category_name if category_id is not None else "Khác",
                unit=unit,
                price_vnd=int(price),
                stock=max(on_hand - reserved, 0) if on_hand is not None else 0,
                weight_gram=weight,
                images=(_absolute(storage.url(image_file)),) if image_file else (),
                province_code=parent_code if parent_id else "",
                commune_code=commune_code,
                ocop_stars=stars.get(product_id),
            )
        result[pk] = CatalogueSku(pk, product_id, commune_code, sellable[pk], content)
    return result


def _ocop_stars(product_ids: set[int]) -> dict[int, int]:
    """product id → the stars of its current certificate (`Product.current_certificate`: the valid
    one with the most stars); products without a valid certificate are left out."""
    if not product_ids:
        return {}
    today = timezone.localdate()
    stars: dict[int, int] = {}
    for certificate in OcopCertificate.objects.filter(product_id__in=list(product_ids)).only(
            "product_id", "stars", "is_expired", "expires_on"):
        if certificate.is_valid(today) and certificate.stars > stars.get(certificate.product_id, 0):
            stars[certificate.product_id] = certificate.stars
    return stars


def _image_storage():
    """Where product images' files live (what `image.file.url` asks)."""
    return Product._meta.get_field("image").related_model._meta.get_field("file").storage


def opted_out(product_ids: Iterable[int]) -> set[tuple[int, str]]:
    return set(PlatformOptOut.objects.filter(product_id__in=list(product_ids)).values_list("product_id", "platform"))


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
