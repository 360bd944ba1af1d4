"""The outbox (written in the catalogue's transaction) and reconciliation: both turn catalogue
state into queued bindings; the drain does the calls."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from marketplace.catalog.models import Sku

from .. import registry
from ..models import Binding, OutboxEntry, PlatformOptOut, RemoteState, SyncState
from .content import catalogue, content_hash, full_hash, opted_out
from .rows import insert_many

BATCH = 500


def _lanes_by_commune(sku_rows, lanes) -> dict[int, list[registry.Lane]]:
    """sku id → the lanes it belongs on (37nghean only for its own commune's key)."""
    return {sku_id: registry.lanes_for_commune(commune_code=code, configured=lanes) for sku_id, code in sku_rows}


def outbox_record(*, sku_ids: Iterable[int], reason: str) -> int:
    """Write one outbox row per SKU and lane (call inside the transaction of the change).

    SKUs that are not sellable and were never bound are skipped: nothing to do for them."""
    lanes = registry.lanes()
    ids = sorted({int(pk) for pk in sku_ids})
    if not lanes or not ids:
        return 0
    bound = set(Binding.objects.filter(sku_id__in=ids).values_list("sku_id", flat=True))
    rows = Sku.objects.filter(pk__in=ids).filter(
        Q(is_active=True, product__is_published=True) | Q(pk__in=bound)).values_list("pk", "product__producer__commune__code")
    entries = [OutboxEntry(sku_id=sku_id, platform=lane.platform, account=lane.account, reason=reason[:20])
               for sku_id, sku_lanes in _lanes_by_commune(rows, lanes).items() for lane in sku_lanes]
    OutboxEntry.objects.bulk_create(entries, batch_size=BATCH)
    return len(entries)


def outbox_record_products(*, product_ids: Iterable[int], reason: str) -> int:
    ids = list(product_ids)
    return outbox_record(sku_ids=Sku.objects.filter(product_id__in=ids).values_list("pk", flat=True), reason=reason)


def outbox_fold(*, lanes: list[registry.Lane]) -> int:
    """Turn outbox rows of these lanes into queued bindings (creating missing ones), then delete
    them. Idempotent and safe to run concurrently: a row is deleted only after it is folded."""
    folded = 0
    for lane in lanes:
        while True:
            with transaction.atomic():
                rows = list(OutboxEntry.objects.filter(platform=lane.platform, account=lane.account).order_by("id")[:BATCH]
                             .values_list("id", "sku_id"))
                if not rows:
                    break
                _queue(lane, {sku_id for _, sku_id in rows})
                OutboxEntry.objects.filter(id__in=[pk for pk, _ in rows]).delete()
                folded += len(rows)
    return folded


def _queue(lane: registry.Lane, sku_ids: set[int]) -> None:
    existing = set(Binding.objects.filter(platform=lane.platform, account=lane.account, sku_id__in=sku_ids)
                   .values_list("sku_id", flat=True))
    live_skus = sorted(Sku.objects.filter(pk__in=sku_ids - existing).values_list("pk", flat=True))
    insert_many(Binding, [{"sku_id": pk, "platform": lane.platform, "account": lane.account} for pk in live_skus],
                ignore_conflicts=True)
    # One statement: a binding in flight stays so, flagged to go again when its worker is done.
    Binding.objects.filter(platform=lane.platform, account=lane.account, sku_id__in=sku_ids).update(
        sync_state=Case(When(sync_state=SyncState.IN_FLIGHT, then=Value(SyncState.IN_FLIGHT)), default=Value(SyncState.QUEUED)),
        next_attempt_at=None, requeue=True, updated_at=timezone.now())


def reconcile(*, lanes: list[registry.Lane]) -> int:
    """Queue every binding that is missing or out of date: every sellable SKU not opted out gets
    a binding on each of its lanes (so products that existed before a platform was configured
    are listed), and bindings whose pushed state differs from the catalogue get work.
    A binding that failed finally is left alone until its content changes. Returns the number queued."""
    queued = 0
    by_lane: dict[registry.Lane, set[int]] = defaultdict(set)
    candidates = Sku.objects.filter(Q(is_active=True, product__is_published=True) | Q(platform_bindings__isnull=False)).distinct()
    ids = list(candidates.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        for lane, sku_ids in _out_of_date(chunk, lanes).items():
            by_lane[lane] |= sku_ids
    with transaction.atomic():
        for lane, sku_ids in by_lane.items():
            for start in range(0, len(sku_ids), BATCH):
                _queue(lane, set(sorted(sku_ids)[start:start + BATCH]))
            queued += len(sku_ids)
    return queued


def _out_of_date(sku_ids: list[int], lanes: list[registry.Lane]) -> dict[registry.Lane, set[int]]:
    bindings = {(b.sku_id, b.platform, b.account): b for b in Binding.objects.filter(sku_id__in=sku_ids)}
    bound = {sku_id for sku_id, _platform, _account in bindings}
    # The full content is only needed to compare with what was pushed: SKUs never bound just
    # need to know whether they are sellable (the first sync of a large catalogue).
    skus = [*catalogue(bound).values(), *catalogue(set(sku_ids) - bound, with_content=False).values()]
    outs = opted_out({sku.product_id for sku in skus})
    result: dict[registry.Lane, set[int]] = defaultdict(set)
    for sku in skus:
        wanted = sku.sellable
        content = sku.content
        for lane in registry.lanes_for_commune(commune_code=sku.commune_code, configured=lanes):
            binding = bindings.get((sku.pk, lane.platform, lane.account))
            listed = wanted and (sku.product_id, lane.platform) not in outs
            if binding is None:
                if listed:
                    result[lane].add(sku.pk)
            elif binding_needs_work(binding, content if listed else None):
                result[lane].add(sku.pk)
    return result


def binding_needs_work(binding: Binding | None, content) -> bool:
    """Does the platform differ from what we want (content None: not listed)?"""
    if binding is None:
        return content is not None
    if binding.sync_state in (SyncState.QUEUED, SyncState.IN_FLIGHT, SyncState.RETRY):
        return False  # already has work
    if content is None:
        return bool(binding.external_id) and binding.remote_status not in (RemoteState.DELISTED, RemoteState.NONE)
    if binding.sync_state == SyncState.FAILED and binding.attempted_hash == full_hash(content):
        return False
    return (not binding.external_id or binding.remote_status in (RemoteState.DELISTED, RemoteState.NONE)
            or binding.content_hash != content_hash(content) or binding.pushed_stock != content.stock)


def opt_out_set(*, product_id: int, platform: str, opted_out: bool) -> None:
    """Take a product off one platform (its listings are delisted) or put it back."""
    with transaction.atomic():
        if opted_out:
            PlatformOptOut.objects.get_or_create(product_id=product_id, platform=platform)
        else:
            PlatformOptOut.objects.filter(product_id=product_id, platform=platform).delete()
        outbox_record_products(product_ids=[product_id], reason="opt_out" if opted_out else "opt_in")
