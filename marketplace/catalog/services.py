"""Writes to the catalogue. Keyword-only, typed; views, pages and commands call these."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import selectors, signals
from .models import AdminUnit, Category, OcopCertificate, Producer, Product, Sku, Stock


class OutOfStock(Exception):
    """Raised when a stock change would make available stock negative."""

    def __init__(self, sku_code: str, requested: int, available: int):
        super().__init__(f"{sku_code}: requested {requested}, available {available}")
        self.sku_code, self.requested, self.available = sku_code, requested, available


class SkuTaken(Exception):
    """A publish would move SKUs that belong to another product (of another producer, or of the
    same one) onto this product: refused before anything is written. `taken` are those SKUs, with
    `product__producer` loaded so that the caller can name the owner."""

    def __init__(self, product: Product, taken: Sequence[Sku]):
        codes = ", ".join(sku.code for sku in taken)
        super().__init__(f"product {product.pk}: SKU {codes} belong to another product")
        self.product, self.taken = product, list(taken)


@dataclasses.dataclass(frozen=True)
class SkuData:
    code: str
    unit: str
    price_vnd: int
    weight_gram: int | None = None


def product_publish(
    *,
    product: Product,
    name: str,
    description: str,
    category: Category | None,
    skus: Sequence[SkuData],
    url_path: str = "",
    image_id: int | None = None,
) -> Product:
    """Make the approved content of a listing the sellable state.

    SKUs not in `skus` are deactivated (never deleted: orders refer to them). Stock rows are
    created at 0 for new SKUs and otherwise left alone. A SKU code that belongs to another
    product is never taken over (its stock, reservations and order lines would follow it):
    raises SkuTaken and writes nothing. The page form checks the same rule, but a stale revision
    approved later, an import or a script reaches this service without that form.
    """
    with transaction.atomic():
        # Lock the SKUs concerned, so that a concurrent publish cannot claim one between the
        # check and the write (a new code is protected by its unique index instead).
        taken = list(selectors.skus_owned_elsewhere(codes=[d.code for d in skus], product_id=product.pk).select_for_update(of=("self",)))
        if taken:
            raise SkuTaken(product, taken)
        product.name, product.description, product.category = name, description, category
        product.url_path, product.image_id, product.is_published = url_path, image_id, True
        product.save()
        keep = []
        for position, data in enumerate(skus):
            sku, _ = Sku.objects.update_or_create(
                code=data.code,
                defaults={
                    "product": product, "unit": data.unit, "price_vnd": data.price_vnd,
                    "weight_gram": data.weight_gram, "position": position, "is_active": True,
                },
            )
            Stock.objects.get_or_create(sku=sku)
            keep.append(sku.pk)
        product.skus.exclude(pk__in=keep).update(is_active=False)
        signals.product_published.send(sender=Product, product_ids=[product.pk])
    return product


@dataclasses.dataclass(frozen=True)
class NewProduct:
    """A product to add in bulk (an import): its SKUs with their opening stock, and OCOP stars
    known without the decision details (the certificate is then marked for completion)."""

    producer_id: int
    name: str
    description: str
    category_id: int | None
    skus: Sequence[tuple[SkuData, int]]
    stars: int | None = None
    url_path: str = ""


def products_create_unpublished(*, items: Sequence[NewProduct]) -> list[Product]:
    """Add products with their SKUs, stock and certificates in a few statements, unpublished:
    nobody can see or buy them until `products_publish` (an import's last step), so an import
    that fails later can delete them again. Every SKU code must be new: raises SkuTaken (nothing
    written) when one is already in the catalogue; the unique index catches a concurrent twin."""
    with transaction.atomic():
        codes = [data.code for item in items for data, _stock in item.skus]
        taken = list(selectors.skus_owned_elsewhere(codes=codes, product_id=None))
        if taken:
            raise SkuTaken(Product(name=items[0].name), taken)
        products = Product.objects.bulk_create([
            Product(producer_id=item.producer_id, name=item.name, description=item.description,
                    category_id=item.category_id, url_path=item.url_path, is_published=False)
            for item in items
        ])
        skus = Sku.objects.bulk_create([
            Sku(product=product, code=data.code, unit=data.unit, price_vnd=data.price_vnd, weight_gram=data.weight_gram,
                position=position, is_active=True)
            for product, item in zip(products, items) for position, (data, _stock) in enumerate(item.skus)
        ])
        on_hand = [stock for item in items for _data, stock in item.skus]
        Stock.objects.bulk_create([Stock(sku=sku, on_hand=count) for sku, count in zip(skus, on_hand)])
        OcopCertificate.objects.bulk_create([  # save() is skipped: these are its values for stars alone
            OcopCertificate(product=product, stars=item.stars, needs_completion=True)
            for product, item in zip(products, items) if item.stars is not None
        ])
    return products


def products_publish(*, product_ids: Sequence[int]) -> int:
    """Make products made by `products_create_unpublished` sellable, with one event for all."""
    ids = list(product_ids)
    with transaction.atomic():
        count = sum(
            Product.objects.filter(pk__in=ids[i:i + 900]).update(is_published=True) for i in range(0, len(ids), 900)
        )
        if ids:
            signals.product_published.send(sender=Product, product_ids=ids)
    return count


def product_unpublish(*, product_ids: Iterable[int]) -> int:
    ids = list(product_ids)
    with transaction.atomic():
        count = Product.objects.filter(pk__in=ids, is_published=True).update(is_published=False)
        if count:
            signals.product_unpublished.send(sender=Product, product_ids=ids)
    return count


def stock_set(*, sku: Sku, on_hand: int) -> Stock:
    """Set stock on hand (a count by the producer). Refuses to go below what is reserved."""
    if on_hand < 0:
        raise ValueError("on_hand must be >= 0")
    with transaction.atomic():
        Stock.objects.get_or_create(sku=sku)
        updated = Stock.objects.filter(sku=sku, reserved__lte=on_hand).update(on_hand=on_hand, updated_at=timezone.now())
        stock = Stock.objects.get(sku=sku)
        if not updated:
            raise OutOfStock(sku.code, stock.reserved, on_hand)
        signals.stock_changed.send(sender=Stock, sku_ids=[sku.pk])
    return stock


def stock_adjust(*, sku_id: int, delta: int) -> None:
    """Add to (delta > 0) or take from (delta < 0) stock on hand atomically, never below reserved."""
    with transaction.atomic():
        qs = Stock.objects.filter(sku_id=sku_id)
        if delta < 0:
            qs = qs.filter(on_hand__gte=F("reserved") - delta)
        if not qs.update(on_hand=F("on_hand") + delta, updated_at=timezone.now()):
            stock = Stock.objects.select_related("sku").get(sku_id=sku_id)
            raise OutOfStock(stock.sku.code, -delta, stock.available)
        signals.stock_changed.send(sender=Stock, sku_ids=[sku_id])


def certificate_save(*, certificate: OcopCertificate) -> OcopCertificate:
    certificate.full_clean()
    certificate.save()
    signals.catalog_changed.send(sender=OcopCertificate, product_ids=[certificate.product_id])
    return certificate


def certificates_expire(*, today: dt.date | None = None) -> tuple[int, int]:
    """Mark certificates past their expiry; by the operator's setting, unpublish products left
    without a valid certificate. Returns (certificates expired, products unpublished)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        expiring = OcopCertificate.objects.filter(is_expired=False, expires_on__lt=today)
        product_ids = list(expiring.values_list("product_id", flat=True).distinct())
        count = expiring.update(is_expired=True)
        unpublished = 0
        if count:
            signals.catalog_changed.send(sender=OcopCertificate, product_ids=product_ids)
            if settings.OCOP_EXPIRED_UNPUBLISH:
                still_valid = OcopCertificate.objects.filter(product_id__in=product_ids, is_expired=False).values("product_id")
                unpublished = product_unpublish(
                    product_ids=Product.objects.filter(pk__in=product_ids).exclude(pk__in=still_valid).values_list("pk", flat=True)
                )
    return count, unpublished


def producer_decide(*, producer: Producer, approve: bool, reason: str = "") -> Producer:
    producer.status = Producer.Status.APPROVED if approve else Producer.Status.REJECTED
    producer.rejection_reason = "" if approve else reason
    producer.save(update_fields=["status", "rejection_reason"])
    signals.catalog_changed.send(sender=Producer, product_ids=list(producer.products.values_list("pk", flat=True)))
    return producer


def category_get_or_create(*, value: str) -> Category:
    """Find a category by slug or name (case-insensitive); create it when unknown."""
    from django.utils.text import slugify

    value = value.strip()
    found = Category.objects.filter(slug=value).first() or Category.objects.filter(name__iexact=value).first()
    if found:
        return found
    base = slugify(fold_vietnamese(value))[:90] or "khac"
    slug, n = base, 2
    while Category.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return Category.objects.create(name=value, slug=slug)


def fold_vietnamese(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics, including đ → d."""
    import unicodedata

    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn").lower()


def commune_get(*, code: str) -> AdminUnit | None:
    """The commune (2025 list) with this code. Its province is loaded only if asked for: checkout,
    which looks one up on every order, needs only `parent_id`."""
    # (scheme, code, level) is unique: at most one row, so no ORDER BY (which `first()` would add).
    found = AdminUnit.objects.filter(scheme=AdminUnit.Scheme.Y2025, level=AdminUnit.Level.COMMUNE, code=code)
    return next(iter(found.order_by()[:1]), None)


# -- Reservations (checkout) -----------------------------------------------------------------
# Each change is one conditional UPDATE per SKU (the database re-checks the condition under its
# row lock), never read-modify-write, so concurrent buyers cannot oversell. SKUs are always
# touched in ascending id order so two multi-SKU checkouts cannot deadlock each other.


class StockMismatch(Exception):
    """A release or commit for more than is reserved: the caller's bookkeeping is wrong."""


def _merged_lines(lines: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """(sku_id, qty) pairs, one per SKU in ascending id order; every qty must be positive."""
    merged: dict[int, int] = {}
    for sku_id, qty in lines:
        if int(qty) <= 0:
            raise ValueError("quantity must be > 0")
        merged[int(sku_id)] = merged.get(int(sku_id), 0) + int(qty)
    return sorted(merged.items())


def stock_reserve(*, lines: list[tuple[int, int]]) -> None:
    """Hold `qty` of each SKU for a checkout: all lines or none (raises OutOfStock naming the
    first SKU that lacks stock; the lines already held are rolled back with the savepoint)."""
    merged = _merged_lines(lines)
    with transaction.atomic():
        for sku_id, qty in merged:
            held = Stock.objects.filter(sku_id=sku_id, on_hand__gte=F("reserved") + qty).update(
                reserved=F("reserved") + qty, updated_at=timezone.now()
            )
            if not held:
                stock = Stock.objects.filter(sku_id=sku_id).first()
                code = Sku.objects.filter(pk=sku_id).values_list("code", flat=True).first() or str(sku_id)
                raise OutOfStock(code, qty, stock.available if stock else 0)
        if merged:
            signals.stock_changed.send(sender=Stock, sku_ids=[sku_id for sku_id, _ in merged])


def stock_release(*, lines: list[tuple[int, int]]) -> None:
    """Give back held stock (checkout cancelled or its reservation expired)."""
    _stock_apply(lines=lines, on_hand_delta=0)


def stock_commit(*, lines: list[tuple[int, int]]) -> None:
    """Turn held stock into a sale: on hand and reserved both fall by `qty`, in one UPDATE."""
    _stock_apply(lines=lines, on_hand_delta=-1)


def _stock_apply(*, lines: list[tuple[int, int]], on_hand_delta: int) -> None:
    merged = _merged_lines(lines)
    with transaction.atomic():
        for sku_id, qty in merged:
            changes = {"reserved": F("reserved") - qty, "updated_at": timezone.now()}
            if on_hand_delta:
                changes["on_hand"] = F("on_hand") - qty
            if not Stock.objects.filter(sku_id=sku_id, reserved__gte=qty).update(**changes):
                raise StockMismatch(f"sku {sku_id}: fewer than {qty} reserved")
        if merged:
            signals.stock_changed.send(sender=Stock, sku_ids=[sku_id for sku_id, _ in merged])
