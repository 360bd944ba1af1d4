"""The search outbox: catalogue changes recorded in their own transaction, applied by the
indexing tasks after commit, and swept by beat when a task was lost (the embedded broker
forgets a message once a worker has taken it, and a worker killed mid-task takes it along).

Applying is idempotent: indexing a product writes its current document (or drops it when no
longer indexable), and a row is deleted only if it was not rewritten meanwhile."""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import services
from .models import IndexOutbox

BATCH = 500
Kind = IndexOutbox.Kind


def search_outbox_record(*, kind: str, refs: Iterable[int] = (0,)) -> int:
    """Upsert one row per ref in one statement (call inside the catalogue's transaction). The
    refs are sorted so that concurrent transactions lock the rows in the same order."""
    token, now = uuid.uuid4(), timezone.now()
    rows = [IndexOutbox(kind=kind, ref=ref, token=token, changed_at=now) for ref in sorted({int(r) for r in refs})]
    IndexOutbox.objects.bulk_create(rows, update_conflicts=True, unique_fields=["kind", "ref"],
                                    update_fields=["token", "changed_at"])
    return len(rows)


def search_outbox_apply(*, kind: str, refs: Sequence[int] | None = None) -> int:
    """Index the products the given refs name (every product for `all`; without refs, those of
    the rows recorded) and clear their rows. Returns how many products were indexed."""
    rows = IndexOutbox.objects.filter(kind=kind)
    if refs is not None and kind != Kind.ALL:
        rows = rows.filter(ref__in=list(refs))
    read = list(rows.values_list("pk", "ref", "token"))  # before indexing: a change after this keeps its row
    if refs is None:
        refs = [ref for _pk, ref, _token in read]
    count = _index(kind=kind, refs=refs)
    _delete([(pk, token) for pk, _ref, token in read])
    return count


def search_outbox_sweep(*, now: dt.datetime | None = None) -> int:
    """Apply every row older than SEARCH_OUTBOX_SWEEP_AFTER_SECONDS (younger ones are still
    with their task). Returns how many products were indexed."""
    now = now or timezone.now()
    before = now - dt.timedelta(seconds=settings.SEARCH_OUTBOX_SWEEP_AFTER_SECONDS)
    stale = IndexOutbox.objects.filter(changed_at__lte=before)
    if stale.filter(kind=Kind.ALL).exists():  # everything is indexed: every stale row is done with
        read = list(stale.values_list("pk", "token"))
        indexed = _index(kind=Kind.ALL, refs=[])
        _delete(read)
        return indexed
    indexed, last = 0, 0
    while True:  # keyset pages: rows rewritten meanwhile are left for the next sweep
        batch = list(stale.filter(pk__gt=last).order_by("pk").values_list("pk", "kind", "ref", "token")[:BATCH])
        if not batch:
            return indexed
        last = batch[-1][0]
        for kind in (Kind.PRODUCT, Kind.SKU):
            refs = [ref for _pk, row_kind, ref, _token in batch if row_kind == kind]
            if refs:
                indexed += _index(kind=kind, refs=refs)
        _delete([(pk, token) for pk, _kind, _ref, token in batch])


def _index(*, kind: str, refs: Sequence[int]) -> int:
    from marketplace.catalog.models import Sku

    from .documents import indexable_products
    from .models import SearchDocument

    if kind == Kind.ALL:
        indexed = SearchDocument.objects.values_list("pk", flat=True)  # those to drop as well
        ids = sorted(set(indexable_products().values_list("pk", flat=True)) | set(indexed))
    elif kind == Kind.SKU:
        ids = sorted(set(Sku.objects.filter(pk__in=list(refs)).order_by().values_list("product_id", flat=True)))
    else:
        ids = sorted(set(refs))
    for start in range(0, len(ids), BATCH):
        services.search_index_products(product_ids=ids[start:start + BATCH])
    return len(ids)


def _delete(rows: Sequence[tuple[int, uuid.UUID]]) -> None:
    """Delete the rows still as read. A row locked by a transaction rewriting it (a checkout
    changing that stock) is skipped, not waited for: it stays for the next run anyway, and not
    waiting means the worker can never deadlock with the catalogue's writes."""
    for start in range(0, len(rows), BATCH):
        match = Q()
        for pk, token in rows[start:start + BATCH]:
            match |= Q(pk=pk, token=token)
        with transaction.atomic():
            free = list(IndexOutbox.objects.select_for_update(skip_locked=True).filter(match).values_list("pk", flat=True))
            IndexOutbox.objects.filter(pk__in=free).delete()
