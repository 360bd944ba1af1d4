"""Applying a checked import plan in short transactions, all or nothing (design: compensation).

One transaction over a large import held the database's write lock (SQLite's single lock; on
PostgreSQL the rows and index entries) for minutes, so checkouts and stock updates waited or
failed. Now:

1. Everything is checked first (`listing_io.plan_import`), outside any transaction.
2. New categories; new producers with their pages (`BATCH_PRODUCERS` per transaction); then new
   products — SKUs, stock, certificates, listing page and its revision — in batches of
   `BATCH_PRODUCTS`, each its own short transaction, with bulk inserts, and *unpublished*
   (products not for sale, pages not live). Nobody can buy or see them yet, so nothing else can
   come to depend on them. Between transactions the import pauses (`LOCK_GAP_S`) so that
   waiting writers get the lock.
3. The commit point, one transaction: changes to products already in the catalogue (through
   the admin's services, as before) and the switch that makes the new products sellable and
   their pages (and new producers' pages) live, with one catalogue event for all of them (one
   indexing task, one outbox pass) instead of one or more per row. Wagtail's own per-save work
   is done in bulk instead (`page_bookkeeping`): the pages' log entries are written with them in
   step 2, and their admin search and reference index entries by tasks enqueued on this commit.
4. If anything fails up to and including the commit point, every row that steps 2 wrote is
   deleted again, newest first, in short transactions (the `Ledger` records bulk inserts by id
   and single saves through `post_save` in this thread), and the error is raised.

Staging tables were considered and left: pages, revisions and the page tree live in Wagtail's
tables, so swapping a staged copy in would be a write as large as the import, under one lock.
Known limits: the commit point grows with the number of *existing* listings whose content
changes (each is a Wagtail publish); a crash of the process between 2 and 3 leaves unpublished
drafts behind, which importing the file again publishes (their SKUs are then known).
"""
from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import CharField, F, OuterRef, Subquery
from django.db.models.functions import Cast
from django.db.models.signals import post_save
from django.utils import timezone
from modelcluster.models import get_all_child_relations
from wagtail.models import Page, PageLogEntry, Revision
from wagtail.signal_handlers import disable_reference_index_auto_update

from marketplace import pagecache
from marketplace.catalog import services as catalog
from marketplace.catalog.listing_csv import fold_key
from marketplace.catalog.models import Category, OcopCertificate, Producer, Sku

from . import page_bookkeeping, services
from .models import ProducerPage, ProductPage, ProductPageSku

BATCH_PRODUCTS = 100  # about 0.2 s of writing (0.5 s on a busy two-core machine): within one second
BATCH_PRODUCERS = 10  # pages in bulk, then each its editors' group: about 0.04 s per producer
# Between two write transactions the import pauses this long. SQLite's busy handler retries a
# waiting writer every 1 to 100 ms (backing off), so an import that starts its next transaction
# at once starves a checkout or stock update for many batches in a row (measured: 10 s with no
# pause, 1.1 s with 50 ms, under 0.8 s with 100 ms). PostgreSQL has no such lock.
LOCK_GAP_S = 0.1
UNDO_CHUNK = 500


class Ledger:
    """Rows written so far, in order, so that a failed import can delete them again."""

    def __init__(self) -> None:
        self.entries: list[tuple[type[models.Model], list]] = []
        self._thread = threading.get_ident()

    def add(self, model: type[models.Model], ids) -> None:
        ids = [pk for pk in ids if pk is not None]
        if ids:
            self.entries.append((model, ids))

    @contextlib.contextmanager
    def recording(self) -> Iterator[None]:
        """Also record rows created by single saves (the admin's services) in this thread."""

        def on_save(sender, instance, created, raw=False, **kwargs):
            if created and not raw and threading.get_ident() == self._thread:
                self.add(sender, [instance.pk])

        uid = f"listing-import-ledger-{id(self)}"
        post_save.connect(on_save, weak=False, dispatch_uid=uid)
        try:
            yield
        finally:
            post_save.disconnect(dispatch_uid=uid)

    def undo(self) -> None:
        """Delete every recorded row, newest first (children before parents), in short transactions."""
        for model, ids in reversed(self.entries):
            manager = Page.objects if issubclass(model, Page) else model._base_manager  # the tree keeps its counts
            for start in range(0, len(ids), UNDO_CHUNK):
                with transaction.atomic():
                    manager.filter(pk__in=ids[start:start + UNDO_CHUNK]).delete()
        self.entries.clear()


def apply_import(plan) -> None:
    """Make the planned changes (see the module's docstring); any failure leaves nothing changed."""
    ledger = Ledger()
    try:
        with ledger.recording(), disable_reference_index_auto_update():
            categories, producer_pages, new_pages = _write_structure(plan, ledger)
            new, new_products = [p for p in plan.products if p.is_new], []
            for start in range(0, len(new), BATCH_PRODUCTS):
                pages, products = _write_new_products(new[start:start + BATCH_PRODUCTS], categories, producer_pages, ledger)
                new_pages, new_products = new_pages + pages, new_products + products
                _let_others_write()
            _commit_point(plan, categories, new_pages, new_products)
    except BaseException:
        ledger.undo()
        raise


def _write_structure(plan, ledger: Ledger) -> tuple[dict[str, Category], dict[int, ProducerPage], list[int]]:
    """New categories, then the new products' producers and their pages (not live yet), a few
    per transaction. Returns the categories, the producer pages and the ids of those made."""
    with transaction.atomic():
        created = {name: catalog.category_get_or_create(value=name) for name in plan.new_categories()}
    categories = {key: found or created[plan.category_values[key]] for key, found in plan.categories.items()}
    producers = list({id(p.producer): p.producer for p in plan.products if p.is_new}.values())
    producer_pages: dict[int, ProducerPage] = {}
    made: list[int] = []
    for start in range(0, len(producers), BATCH_PRODUCERS):
        _let_others_write()
        pages, new_ids = _write_producers(producers[start:start + BATCH_PRODUCERS], ledger)
        producer_pages.update(pages)
        made += new_ids
    _let_others_write()
    return categories, producer_pages, made


def _write_producers(producer_plans, ledger: Ledger) -> tuple[dict[int, ProducerPage], list[int]]:
    """Existing producers' pages (made if missing, as the admin does); new producers, approved,
    with their pages written in bulk like the listings' and the page's own editors' group."""
    from .listing_io import producer_kind

    with transaction.atomic():
        pages = {id(p): services.producer_page_create(producer=p.producer) for p in producer_plans if p.producer is not None}
        new = [p for p in producer_plans if p.producer is None]
        if not new:
            return pages, []
        producers = [Producer(name=p.name, commune=p.commune, kind=producer_kind(p.name), phone=p.phone,
                              status=Producer.Status.APPROVED) for p in new]
        for producer in producers:
            producer.full_clean()
        Producer.objects.bulk_create(producers)
        ledger.add(Producer, [p.pk for p in producers])
        placer = _PagePlacer()
        made = [placer.page(services.commune_page_get_or_create(commune=plan.commune), producer.name, ProducerPage,
                            producer=producer) for plan, producer in zip(new, producers)]
        _insert_pages(made, ledger)
        placer.count_children()
        for plan, page in zip(new, made):
            services.producer_page_setup(producer_page=page)
            pages[id(plan)] = page
    return pages, [page.pk for page in made]


def _let_others_write() -> None:
    time.sleep(LOCK_GAP_S)


def _commit_point(plan, categories: dict[str, Category], new_pages: list[int], new_products: list[int]) -> None:
    """Existing products' changes, then the new ones go live: one transaction."""
    changed = [p for p in plan.products if not p.is_new and p.is_changed]
    with transaction.atomic():
        for product_plan in changed:
            _apply_existing(product_plan, categories)
        for start in range(0, len(new_pages), UNDO_CHUNK):
            Page.objects.filter(pk__in=new_pages[start:start + UNDO_CHUNK]).update(live=True)
        catalog.products_publish(product_ids=new_products)
        if new_pages:
            pagecache.bump_version()  # pages went live without Wagtail's page_published
        # Existing listings were published with the reference index's auto-update off, too.
        edited = [p.page.pk for p in changed if p.listing_changed]
        page_bookkeeping.imported_pages_index_enqueue(page_ids=new_pages + edited)


def _apply_existing(plan, categories: dict[str, Category]) -> None:
    category = categories[fold_key(plan.category)] if plan.category else None
    if plan.listing_changed:
        latest = plan.page.get_latest_revision_as_object()
        services.listing_update(
            page=plan.page, name=plan.lead.name, skus=_merge_skus(latest, plan.rows),
            category=category or latest.category, summary=plan.description or None,
        )
    if plan.stock_changes:
        for sku in Sku.objects.filter(product=plan.product, code__in=plan.stock_changes):
            catalog.stock_set(sku=sku, on_hand=plan.stock_changes[sku.code])
    if plan.add_stars is not None:
        catalog.certificate_save(certificate=OcopCertificate(product=plan.product, stars=plan.add_stars))


def _merge_skus(latest: ProductPage, rows) -> list[catalog.SkuData]:
    """The listing's SKU rows with the file's applied: a file need not list every SKU, and an
    import never removes one. A row without a weight column keeps the stored weight."""
    given = {r.sku: r for r in rows}
    merged = []
    for current in latest.sku_rows.all():
        row = given.pop(current.code, None)
        if row is None:
            merged.append(catalog.SkuData(current.code, current.unit, current.price_vnd, current.weight_gram))
        else:
            weight = row.weight_gram if row.weight_given else current.weight_gram
            merged.append(catalog.SkuData(row.sku, row.unit, row.price_vnd, weight))
    merged += [catalog.SkuData(r.sku, r.unit, r.price_vnd, r.weight_gram) for r in given.values()]
    return merged


# --- new products in bulk ------------------------------------------------------------------


def _write_new_products(
    plans, categories: dict[str, Category], producer_pages: dict[int, ProducerPage], ledger: Ledger
) -> tuple[list[int], list[int]]:
    """One batch: catalogue rows, then listing pages (not live yet) with one revision each.
    Returns the ids of the pages and of the products."""
    with transaction.atomic():
        placed = _PagePlacer()
        drafts = [(plan, producer_pages[id(plan.producer)]) for plan in plans]
        pages = [placed.page(parent, plan.lead.name) for plan, parent in drafts]
        products = catalog.products_create_unpublished(items=[
            catalog.NewProduct(
                producer_id=parent.producer_id, name=plan.lead.name, description=plan.description,
                category_id=categories[fold_key(plan.category)].pk if plan.category else None,
                skus=[(catalog.SkuData(r.sku, r.unit, r.price_vnd, r.weight_gram), r.stock) for r in plan.rows],
                stars=plan.stars, url_path=placed.url(page),
            )
            for (plan, parent), page in zip(drafts, pages)
        ])
        _record_catalogue(ledger, products)
        for page, product, (plan, _parent) in zip(pages, products, drafts):
            page.product, page.category_id = product, product.category_id
            page.summary = plan.description
            page.sku_rows = [ProductPageSku(code=r.sku, unit=r.unit, price_vnd=r.price_vnd, weight_gram=r.weight_gram,
                                            sort_order=i) for i, r in enumerate(plan.rows)]
        _insert_pages(pages, ledger)
        placed.count_children()
    return [page.pk for page in pages], [product.pk for product in products]


def _record_catalogue(ledger: Ledger, products) -> None:
    ids = [p.pk for p in products]
    ledger.add(type(products[0]), ids)  # deleting a product deletes its SKUs, stock and certificates


class _PagePlacer:
    """Slugs, tree paths and URLs for new children of producer pages, within one transaction."""

    def __init__(self) -> None:
        self.slugs: dict[int, set[str]] = {}
        self.last: dict[int, int] = {}
        self.added: dict[int, int] = {}
        self.urls: dict[int, str] = {}
        self.page_urls: dict[int, str] = {}

    def page(self, parent: Page, title: str, model: type[Page] = ProductPage, **fields) -> Page:
        if parent.pk not in self.slugs:
            children = Page.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
            self.slugs[parent.pk] = set(children.values_list("slug", flat=True))
            last = children.order_by("-path").values_list("path", flat=True).first()
            self.last[parent.pk] = Page._str2int(last[-Page.steplen:]) if last else 0
            self.urls[parent.pk] = parent.url or ""
        slug = _free_slug(self.slugs[parent.pk], title)
        self.last[parent.pk] += 1
        self.added[parent.pk] = self.added.get(parent.pk, 0) + 1
        now = timezone.now()
        page = model(
            title=title, draft_title=title, slug=slug, path=Page._get_path(parent.path, parent.depth + 1, self.last[parent.pk]),
            depth=parent.depth + 1, numchild=0, url_path=f"{parent.url_path}{slug}/", live=False,
            has_unpublished_changes=False, first_published_at=now, last_published_at=now,
            latest_revision_created_at=now, locale_id=parent.locale_id, translation_key=uuid.uuid4(), story="", **fields,
        )
        for relation in get_all_child_relations(model):  # none stored yet: no query per page when serialised
            setattr(page, relation.get_accessor_name(), [])
        self.page_urls[id(page)] = f"{self.urls[parent.pk]}{slug}/"
        return page

    def url(self, page: ProductPage) -> str:
        return self.page_urls[id(page)]

    def count_children(self) -> None:
        for parent_pk, count in self.added.items():
            Page.objects.filter(pk=parent_pk).update(numchild=F("numchild") + count)


def _free_slug(taken: set[str], title: str) -> str:
    base = services._slug(title)[:70] or "san-pham"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _insert_pages(pages: list[Page], ledger: Ledger) -> None:
    """Listing pages as Wagtail would store them after a publish, in a few statements: the base
    rows, the listing rows (Django cannot bulk-insert a child model, so its own columns are
    inserted for the ids just made), SKU rows, one revision each that is also the live one, and
    the page history saying the import made and published it."""
    model = type(pages[0])
    page_type, base_type = ContentType.objects.get_for_model(model), ContentType.objects.get_for_model(Page)
    base_fields = [f.attname for f in Page._meta.concrete_fields if not f.primary_key]
    for page in pages:
        page.content_type = page_type
    bases = Page.objects.bulk_create([Page(**{name: getattr(page, name) for name in base_fields}) for page in pages])
    ledger.add(Page, [b.pk for b in bases])
    for page, base in zip(pages, bases):
        page.pk = page.id = page.page_ptr_id = base.pk
    model._base_manager._insert(pages, fields=model._meta.local_concrete_fields, raw=True)
    for relation in get_all_child_relations(model):
        rows = [row for page in pages for row in _attached(page, relation)]
        if rows:
            relation.related_model.objects.bulk_create(rows)
    now = timezone.now()
    revisions = Revision.objects.bulk_create([
        Revision(content_type=page_type, base_content_type=base_type, object_id=str(page.pk), content=page.serializable_data(),
                 object_str=page.title, created_at=now)
        for page in pages
    ])
    ledger.add(Revision, [r.pk for r in revisions])
    # Log entries point at their page without a foreign key constraint: the ledger deletes them.
    ledger.add(PageLogEntry, page_bookkeeping.import_log_entries_create(pages=pages, revisions=revisions))
    # One UPDATE per column (bulk_update's CASE per row is slow): each page's only revision.
    ids = [b.pk for b in bases]
    own_revision = Revision.objects.filter(base_content_type=base_type, object_id=Cast(OuterRef("pk"), CharField()))
    Page.objects.filter(pk__in=ids).update(latest_revision_id=Subquery(own_revision.values("pk")[:1]))
    Page.objects.filter(pk__in=ids).update(live_revision_id=F("latest_revision_id"))


def _attached(page: Page, relation) -> list[models.Model]:
    rows = list(getattr(page, relation.get_accessor_name()).all())
    for row in rows:
        setattr(row, relation.field.attname, page.pk)
    return rows
