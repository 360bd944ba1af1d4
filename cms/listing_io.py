"""Listings CSV against the database: check rows, plan, apply (pages + catalogue), export.

The import is all or nothing. `plan_import` reads the database and finds every problem before
anything is written; `cms.listing_write.apply_import` then makes the planned changes in short
batches and undoes them all if one fails (its docstring says how and why).
The format itself lives in `marketplace.catalog.listing_csv`.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TextIO

from django.db.models import Prefetch

from marketplace.catalog.listing_csv import ListingRow, RowError, clean_text, fold_key, parse_listings, write_listings
from marketplace.catalog.models import AdminUnit, Category, Producer, Product, Sku

from . import listing_write
from .models import ProductPage

ProducerKey = tuple[str, str]


@dataclasses.dataclass
class ProducerPlan:
    """An existing producer, or the data to create one (approved) with."""

    name: str
    commune: AdminUnit
    producer: Producer | None = None
    phone: str = ""


@dataclasses.dataclass
class ProductPlan:
    """What happens to one product: created, updated (listing republished and/or stock/stars) or nothing."""

    rows: list[ListingRow]
    producer: ProducerPlan
    product: Product | None = None
    page: ProductPage | None = None
    listing_changed: bool = False
    new_skus: list[str] = dataclasses.field(default_factory=list)
    updated_skus: list[str] = dataclasses.field(default_factory=list)
    stock_changes: dict[str, int] = dataclasses.field(default_factory=dict)
    add_stars: int | None = None

    @property
    def lead(self) -> ListingRow:
        return self.rows[0]

    @property
    def description(self) -> str:
        return next((r.description for r in self.rows if r.description), "")

    @property
    def category(self) -> str:
        return next((r.category for r in self.rows if r.category), "")

    @property
    def stars(self) -> int | None:
        return next((r.ocop_stars for r in self.rows if r.ocop_stars is not None), None)

    @property
    def is_new(self) -> bool:
        return self.product is None

    @property
    def is_changed(self) -> bool:
        return self.is_new or self.listing_changed or bool(self.stock_changes) or self.add_stars is not None


@dataclasses.dataclass
class ImportPlan:
    producers: dict[ProducerKey, ProducerPlan]
    categories: dict[str, Category | None]  # fold_key(value) → found category, or None: create it
    category_values: dict[str, str]  # fold_key(value) → the value as first written
    products: list[ProductPlan]

    def new_categories(self) -> list[str]:
        return list(dict.fromkeys(self.category_values[k] for k, c in self.categories.items() if c is None))

    def summary(self) -> dict[str, int]:
        changed = [p for p in self.products if p.is_changed]
        return {
            "products_created": sum(p.is_new for p in self.products),
            "products_updated": sum(not p.is_new for p in changed),
            "products_unchanged": len(self.products) - len(changed),
            "skus_created": sum(len(p.new_skus) for p in self.products),
            "skus_updated": sum(len(p.updated_skus) for p in self.products),
            "producers_created": sum(p.producer is None for p in self.producers.values()),
            "categories_created": len(self.new_categories()),
        }


def import_listings(data: bytes, *, dry_run: bool = False) -> tuple[ImportPlan | None, list[RowError]]:
    """Parse, check and (unless `dry_run` or on any error) apply a listings CSV file. The rows
    that parse are checked against the database even when others did not, so that one run
    reports every problem."""
    rows, parse_errors = parse_listings(data)
    # No transaction here: it would hold the write lock while checking (see cms.listing_write).
    plan, errors = plan_import(rows)
    errors = sorted(parse_errors + errors, key=lambda e: e.line)
    if errors:
        return None, errors
    if not dry_run:
        listing_write.apply_import(plan)
    return plan, []


# --- planning: read-only ------------------------------------------------------------------


def plan_import(rows: list[ListingRow]) -> tuple[ImportPlan, list[RowError]]:
    """Check rows against the database and decide what each one does, writing nothing."""
    errors: list[RowError] = []
    communes = _communes(rows, errors)
    producers = _producers([r for r in rows if r.commune_code in communes], communes, errors)
    categories, category_values = _categories(rows)
    plan = ImportPlan(producers=producers, categories=categories, category_values=category_values, products=[])
    groups: dict[tuple[str, str, str], list[ListingRow]] = {}
    for row in rows:
        if row.producer_key in producers:
            groups.setdefault(row.product_key, []).append(row)
    skus = Sku.objects.filter(code__in=[r.sku for r in rows]).select_related("product__producer__commune", "stock")
    existing = {s.code: s for s in skus}
    claimed: dict[int, ListingRow] = {}
    for group in groups.values():
        product_plan = _plan_product(group, producers[group[0].producer_key], existing, claimed, categories, errors)
        if product_plan:
            plan.products.append(product_plan)
    return plan, sorted(errors, key=lambda e: e.line)


def _communes(rows: list[ListingRow], errors: list[RowError]) -> dict[str, AdminUnit]:
    codes = {r.commune_code for r in rows}
    units = AdminUnit.objects.filter(scheme=AdminUnit.Scheme.Y2025, level=AdminUnit.Level.COMMUNE, code__in=codes)
    found = {u.code: u for u in units}
    for row in rows:
        if row.commune_code not in found:
            errors.append(RowError(row.line, "commune_code", f'không có xã/phường mã "{row.commune_code}" trong danh mục 2025'))
    return found


def _producers(rows: list[ListingRow], communes: dict[str, AdminUnit], errors: list[RowError]) -> dict[ProducerKey, ProducerPlan]:
    """Match producers by name within their commune, case-insensitively (in Python: SQLite's
    iexact ignores case only for ASCII, and Vietnamese names are not ASCII)."""
    by_commune: dict[str, dict[str, list[Producer]]] = {}
    for producer in Producer.objects.filter(commune__in=communes.values()).select_related("commune"):
        by_commune.setdefault(producer.commune.code, {}).setdefault(fold_key(producer.name), []).append(producer)
    phones: dict[ProducerKey, str] = {}
    for row in rows:
        if row.producer_phone:
            phones.setdefault(row.producer_key, row.producer_phone)
    plans: dict[ProducerKey, ProducerPlan] = {}
    for row in rows:
        if row.producer_key in plans:
            continue
        commune = communes[row.commune_code]
        matches = by_commune.get(row.commune_code, {}).get(row.producer_key[1], [])
        plan = ProducerPlan(name=row.producer, commune=commune)
        if len(matches) > 1:
            reason = f'có {len(matches)} nhà sản xuất tên "{row.producer}" ở {commune.name}; hãy đổi tên trong trang quản trị'
            errors.append(RowError(row.line, "producer", reason))
            continue
        if matches:
            plan.producer = matches[0]
        else:
            plan.phone = phones.get(row.producer_key, "")
            if not plan.phone:
                errors.append(RowError(row.line, "producer_phone", f'cần số điện thoại cho nhà sản xuất mới "{row.producer}"'))
                continue
        plans[row.producer_key] = plan
    return plans


def _categories(rows: list[ListingRow]) -> tuple[dict[str, Category | None], dict[str, str]]:
    """Resolve categories as `category_get_or_create` does (slug, else name), without creating
    any, so that a dry run can say which are new. Names compare case-insensitively in Python,
    which also folds Vietnamese capitals (SQLite's iexact does not)."""
    all_categories = list(Category.objects.all())
    by_slug = {c.slug: c for c in all_categories}
    by_name = {fold_key(c.name): c for c in all_categories}
    found: dict[str, Category | None] = {}
    values: dict[str, str] = {}
    for row in rows:
        key = fold_key(row.category)
        if row.category and key not in found:
            found[key] = by_slug.get(row.category) or by_name.get(key)
            values[key] = row.category
    return found, values


def _plan_product(
    group: list[ListingRow],
    producer: ProducerPlan,
    existing: dict[str, Sku],
    claimed: dict[int, ListingRow],
    categories: dict[str, Category | None],
    errors: list[RowError],
) -> ProductPlan | None:
    plan = ProductPlan(rows=group, producer=producer)
    product = _existing_product(group, producer, existing, errors)
    if product is False:
        return None
    if product is not None:
        if product.pk in claimed:
            reason = (f'SKU ở đây thuộc sản phẩm "{product.name}" như dòng {claimed[product.pk].line}; '
                      "các SKU của một sản phẩm phải cùng tên")
            errors.append(RowError(group[0].line, "name", reason))
            return None
        claimed[product.pk] = group[0]
        page = ProductPage.objects.filter(product=product).first()
        if page is None:
            reason = f'sản phẩm "{product.name}" chưa có trang tin đăng nên không cập nhật được từ tệp'
            errors.append(RowError(group[0].line, "sku", reason))
            return None
        plan.product, plan.page = product, page
    elif producer.producer is not None and not producer.producer.is_approved:
        status = producer.producer.get_status_display()
        reason = f'nhà sản xuất "{producer.producer.name}" chưa được duyệt ({status}) nên chưa tạo được sản phẩm mới'
        errors.append(RowError(group[0].line, "producer", reason))
        return None
    if not _plan_skus(plan, existing, errors):
        return None
    if product is not None:
        plan.listing_changed = bool(plan.new_skus) or _product_fields_changed(plan, categories) or any(
            _sku_changed(existing[r.sku], r) for r in group if r.sku in existing)
        if plan.listing_changed and plan.page.live and plan.page.has_unpublished_changes:
            errors.append(RowError(group[0].line, "name", f'trang sản phẩm "{product.name}" có bản nháp chưa duyệt; '
                                                          "hãy duyệt hoặc huỷ bản nháp rồi nhập lại"))
            return None
    if plan.stars is not None and (product is None or not product.certificates.filter(stars=plan.stars).exists()):
        plan.add_stars = plan.stars
    return plan


def _existing_product(
    group: list[ListingRow], producer: ProducerPlan, existing: dict[str, Sku], errors: list[RowError]
) -> Product | None | bool:
    """The product these rows update: the one owning their SKUs, else the producer's product of
    that name. False when the rows contradict the catalogue (errors are added)."""
    owners: dict[int, tuple[Product, ListingRow]] = {}
    for row in group:
        if row.sku in existing:
            owners.setdefault(existing[row.sku].product_id, (existing[row.sku].product, row))
    if len(owners) > 1:
        (first, first_row), (second, second_row) = list(owners.values())[:2]
        reason = (f'mã SKU "{second_row.sku}" thuộc sản phẩm "{second.name}", còn dòng {first_row.line} '
                  f'thuộc sản phẩm "{first.name}"; các SKU cùng tên phải thuộc một sản phẩm')
        errors.append(RowError(second_row.line, "sku", reason))
        return False
    if owners:
        product, row = next(iter(owners.values()))
        if producer.producer is None or product.producer_id != producer.producer.pk:
            reason = (f'mã SKU "{row.sku}" đang thuộc "{product.name}" của "{product.producer.name}" '
                      f"({product.producer.commune.name}); không chuyển SKU sang nhà sản xuất khác")
            errors.append(RowError(row.line, "producer", reason))
            return False
        return product
    if producer.producer is None:
        return None
    name = fold_key(group[0].name)
    with_pages = Product.objects.filter(producer=producer.producer, page__isnull=False).order_by("pk")
    candidates = [p for p in with_pages if fold_key(p.name) == name]
    return candidates[0] if candidates else None


def _plan_skus(plan: ProductPlan, existing: dict[str, Sku], errors: list[RowError]) -> bool:
    """Sort the rows' SKUs into new/updated and stock changes; refuse stock below what orders hold."""
    ok = True
    for row in plan.rows:
        sku = existing.get(row.sku)
        if sku is None:
            plan.new_skus.append(row.sku)
            if row.stock:
                plan.stock_changes[row.sku] = row.stock
            continue
        stock = getattr(sku, "stock", None)
        on_hand, reserved = (stock.on_hand, stock.reserved) if stock else (0, 0)
        if row.stock < reserved:
            errors.append(RowError(row.line, "stock", f"không đặt được tồn kho {row.stock} vì đang giữ {reserved} cho đơn hàng"))
            ok = False
        if row.stock != on_hand:
            plan.stock_changes[row.sku] = row.stock
        if _sku_changed(sku, row) or row.stock != on_hand:
            plan.updated_skus.append(row.sku)
    return ok


def _sku_changed(sku: Sku, row: ListingRow) -> bool:
    return (
        not sku.is_active or clean_text(sku.unit) != row.unit or sku.price_vnd != row.price_vnd
        or (row.weight_given and sku.weight_gram != row.weight_gram)
    )


def _product_fields_changed(plan: ProductPlan, categories: dict[str, Category | None]) -> bool:
    """Compare with the published product; empty description/category cells keep what is there."""
    product = plan.product
    if not product.is_published or clean_text(product.name) != plan.lead.name:
        return True
    if plan.description and clean_text(product.description) != plan.description:
        return True
    if plan.category:
        category = categories[fold_key(plan.category)]
        return category is None or category.pk != product.category_id
    return False


# --- applying: cms.listing_write ----------------------------------------------------------


def producer_kind(name: str) -> str:
    """HTX… is a cooperative, Công ty… an enterprise, anything else a household business."""
    folded = fold_key(name)
    if folded.startswith("htx"):
        return Producer.Kind.COOPERATIVE
    if folded.startswith("công ty"):
        return Producer.Kind.ENTERPRISE
    return Producer.Kind.HOUSEHOLD


# --- reporting and export ------------------------------------------------------------------


def describe_plan(plan: ImportPlan) -> list[str]:
    """One line per change, for --dry-run (and for the log of a real import)."""
    lines = [f'Nhà sản xuất mới: "{p.name}" ({p.commune.name})' for p in plan.producers.values() if p.producer is None]
    lines += [f'Ngành hàng mới: "{name}"' for name in plan.new_categories()]
    for p in plan.products:
        if not p.is_changed:
            continue
        skus = [f"{code} (mới)" for code in p.new_skus] + [f"{code} (cập nhật)" for code in p.updated_skus]
        extra = f"; thêm chứng nhận OCOP {p.add_stars} sao" if p.add_stars else ""
        verb = "Tạo" if p.is_new else "Cập nhật"
        where = f"{p.producer.name}, {p.producer.commune.name}"
        lines.append(f'{verb} sản phẩm "{p.lead.name}" — {where}: SKU {", ".join(skus) or "không đổi"}{extra}')
    return lines


def summary_line(plan: ImportPlan) -> str:
    s = plan.summary()
    return (f"Sản phẩm: {s['products_created']} tạo mới, {s['products_updated']} cập nhật, {s['products_unchanged']} không đổi. "
            f"SKU: {s['skus_created']} tạo mới, {s['skus_updated']} cập nhật. "
            f"Nhà sản xuất mới: {s['producers_created']}. Ngành hàng mới: {s['categories_created']}.")


def export_rows() -> Iterator[ListingRow]:
    """Every active SKU of every published product, in the import format (stock = on hand)."""
    products = (
        Product.objects.filter(is_published=True)
        .select_related("producer__commune", "category")
        .prefetch_related(
            Prefetch("skus", queryset=Sku.objects.filter(is_active=True).select_related("stock").order_by("position", "pk")),
            "certificates",
        )
        .order_by("producer__commune__code", "producer__name", "name", "pk")
    )
    for product in products:
        certificate = product.current_certificate()
        for sku in product.skus.all():
            stock = getattr(sku, "stock", None)
            yield ListingRow(
                line=0, sku=sku.code, name=product.name, description=product.description,
                category=product.category.slug if product.category else "", unit=sku.unit, price_vnd=sku.price_vnd,
                stock=stock.on_hand if stock else 0, ocop_stars=certificate.stars if certificate else None,
                producer=product.producer.name, commune_code=product.producer.commune.code,
                weight_gram=sku.weight_gram, weight_given=True,
            )


def export_listings(out: TextIO) -> int:
    """Write the catalogue as a listings CSV; returns the number of SKU rows."""
    return write_listings(out, export_rows())
