"""With a third of the calls failing the ways platforms fail, repeated syncs converge to exactly
the intended state: no duplicate listing, nothing lost, nothing left in flight."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from connectors import registry
from connectors.models import Binding, SyncState
from connectors.services import drain
from connectors.services.calls import idempotency_key
from connectors.services.drain import claim
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Sku, Stock

pytestmark = pytest.mark.django_db
ROUNDS = 40


def _wanted() -> dict[str, tuple[int, int]]:
    """SKU → (price, available) for everything that should be listed."""
    rows = Sku.objects.filter(is_active=True, product__is_published=True).select_related("stock")
    return {s.code: (s.price_vnd, s.stock.available) for s in rows}


def _state(platforms) -> dict[str, dict]:
    with platforms.postmart.lock, platforms.voso.lock, platforms.nghean37.lock:
        pm = [(p["sku"], p["price_vnd"], p["stock"]) for p in platforms.postmart.products.values() if not p["_deleted"]]
        vs = [(i["outer_id"], i["price"], i["quantity"]) for i in platforms.voso.items.values() if i["status"] != "delisted"]
        ng = [(p["ma_noi_bo"], p["gia"], p["so_luong"]) for p in platforms.nghean37.products.values() if not p["_deleted"]]
    return {"postmart": pm, "voso": vs, "nghean37": ng}


def _converged(platforms) -> bool:
    wanted = _wanted()
    expected = sorted((code, price, stock) for code, (price, stock) in wanted.items())
    voso_expected = sorted((code, -(-price // 100) * 100 if price % 100 else price, stock) for code, (price, stock) in wanted.items())
    state = _state(platforms)
    busy = Binding.objects.exclude(sync_state__in=[SyncState.IDLE]).exists()
    return not busy and sorted(state["postmart"]) == expected and sorted(state["nghean37"]) == expected and \
        sorted(c for c, _p, _s in state["voso"]) == [c for c, _p, _s in voso_expected] and \
        all(s == wanted[c][1] for c, _p, s in state["voso"])


def _sync_until_converged(platforms) -> int:
    for round_ in range(1, ROUNDS + 1):
        platforms.sync()
        if _converged(platforms):
            return round_
    raise AssertionError(f"not converged after {ROUNDS} rounds: {_state(platforms)}\n"
                         f"{list(Binding.objects.exclude(sync_state='idle').values('sku__code', 'platform', 'sync_state', 'last_error'))}")


def test_thirty_percent_faults_converge_without_duplicates(platforms, make_listing):
    pages = [make_listing(skus=[catalog.SkuData(f"GP-F{n}-A", "gói 500g", 45000 + n * 1010, 500),
                                catalog.SkuData(f"GP-F{n}-B", "gói 1kg", 88000 + n * 990, 1000)], stock=20) for n in range(4)]
    for fake in platforms.all:
        fake.faults.random(0.3, seed=7)
    _sync_until_converged(platforms)

    # Changes while the platforms keep failing: stock, price, an unpublish.
    catalog.stock_set(sku=Sku.objects.get(code="GP-F0-A"), on_hand=3)
    catalog.stock_adjust(sku_id=Sku.objects.get(code="GP-F1-B").pk, delta=-5)
    pages[3].unpublish()
    from cms import services as cms_services
    cms_services.listing_update(page=pages[2], name=pages[2].title, category=pages[2].category,
                                skus=[catalog.SkuData("GP-F2-A", "gói 500g", 51000, 500)])  # GP-F2-B leaves
    _sync_until_converged(platforms)
    injected = sum(sum(f.faults.injected.values()) for f in platforms.all)
    assert injected > 10
    assert not Binding.objects.filter(sync_state=SyncState.IN_FLIGHT).exists()
    assert Stock.objects.get(sku__code="GP-F0-A").available == 3


def test_malformed_answers_are_retried_and_logged_never_a_crash(platforms, make_listing):
    make_listing(skus=[catalog.SkuData("GP-MF-1", "hũ", 30000, 300)])
    platforms.postmart.faults.next("html", 1, op="create")
    platforms.voso.faults.next("malformed", 1, op="create")
    platforms.nghean37.faults.next("lost_5xx", 1, op="create")
    summary = drain(include_waiting=True)
    assert summary.retry == 3
    errors = dict(Binding.objects.values_list("platform", "last_error"))
    assert all(errors.values()), errors
    _sync_until_converged(platforms)
    assert len(platforms.nghean37.live_products()) == 1  # the create that committed was adopted


def test_a_binding_left_in_flight_by_a_killed_worker_is_taken_up_after_its_lease(platforms, make_listing, settings):
    make_listing(skus=[catalog.SkuData("GP-KW-1", "túi 1kg", 99000, 1000)])
    started = timezone.now()
    for lane in registry.lanes():
        from connectors.services import outbox_fold

        outbox_fold(lanes=[lane])
        [(binding, content, _action)] = claim(lane, started=started, include_waiting=True)
        key = idempotency_key(binding, content)
        Binding.objects.filter(pk=binding.pk).update(idempotency_key=key)
        registry.adapter_for(lane).create(content, idempotency_key=key)  # ... and the worker dies here
    assert Binding.objects.filter(sync_state=SyncState.IN_FLIGHT).count() == 3

    assert drain().calls == 0  # leases still running: nobody touches them
    Binding.objects.update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    drain()
    assert not Binding.objects.exclude(sync_state=SyncState.IDLE).exists()
    assert all(Binding.objects.values_list("external_id", flat=True))
    assert len(platforms.postmart.live_products()) == 1 and len(platforms.nghean37.live_products()) == 1
    assert len(platforms.voso.items) == 1
