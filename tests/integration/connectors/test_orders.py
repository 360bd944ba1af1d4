"""Platform orders come back once, draw on the same stock, and the new stock reaches the others."""
from __future__ import annotations

import pytest

from connectors.models import Binding, PlatformOrder
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Stock
from marketplace.orders.models import Checkout, Order, PaymentMethod

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(platforms, make_listing):
    page = make_listing(skus=[catalog.SkuData("GP-OR-1", "hũ 300g", 120000, 300)], stock=5)
    platforms.sync()
    return page


def _available(code: str) -> int:
    return Stock.objects.get(sku__code=code).available


def test_an_order_is_stored_once_with_stock_taken_then_acknowledged(platforms, listed):
    order_id = platforms.postmart.add_order([("GP-OR-1", 2)])
    platforms.import_orders()
    platforms.import_orders()  # the overlap reads it again: still one
    row = PlatformOrder.objects.get(platform="postmart", external_id=order_id)
    assert row.state == PlatformOrder.State.IMPORTED and row.acknowledged_at is not None
    checkout = Checkout.objects.get(pk=row.checkout_id)
    assert (checkout.channel, checkout.payment_method) == ("postmart", PaymentMethod.PLATFORM)
    order = Order.objects.get(checkout=checkout)
    assert order.producer == listed.product.producer and order.lines.get().quantity == 2
    assert order.total_vnd == 240000
    assert _available("GP-OR-1") == 3
    assert platforms.postmart.orders[order_id]["status"] == "acknowledged"
    assert PlatformOrder.objects.count() == 1


def test_the_acknowledgement_waits_for_the_store_and_a_failed_ack_is_retried(platforms, listed):
    order_sn = platforms.voso.add_order([("GP-OR-1", 1)])
    platforms.voso.faults.next("5xx", 1, op="ack")
    platforms.import_orders()
    row = PlatformOrder.objects.get(external_id=order_sn)
    assert row.checkout_id and row.acknowledged_at is None  # stored first; the ack failed
    assert platforms.voso.orders[order_sn]["status"] == "to_confirm"
    platforms.import_orders()
    row.refresh_from_db()
    assert row.acknowledged_at is not None and platforms.voso.orders[order_sn]["status"] != "to_confirm"
    assert Order.objects.count() == 1


def test_unknown_sku_and_more_than_the_stock_are_stored_as_needing_attention(platforms, listed):
    unknown = platforms.postmart.add_order([("KHONG-CO", 1)])
    too_many = platforms.nghean37.add_order([("GP-OR-1", 50)])
    platforms.import_orders()
    rows = {r.external_id: r for r in PlatformOrder.objects.all()}
    assert rows[unknown].state == PlatformOrder.State.NEEDS_ATTENTION and "KHONG-CO" in rows[unknown].attention_reason
    assert rows[too_many].state == PlatformOrder.State.NEEDS_ATTENTION and "50" in rows[too_many].attention_reason
    assert rows[unknown].acknowledged_at is None and rows[too_many].acknowledged_at is None
    assert not Order.objects.exists() and _available("GP-OR-1") == 5


def test_a_platform_order_reaches_the_other_platforms_and_a_cancellation_gives_stock_back(platforms, listed):
    order_sn = platforms.voso.add_order([("GP-OR-1", 3)])
    platforms.import_orders()
    assert _available("GP-OR-1") == 2
    platforms.reset_counters()
    platforms.sync()  # the stock_changed path
    assert platforms.postmart.product_by_sku("GP-OR-1")["stock"] == 2
    assert platforms.nghean37.product_by_sku("GP-OR-1")["so_luong"] == 2
    assert platforms.voso.item_by_outer_id("GP-OR-1")["quantity"] == 2

    platforms.voso.cancel_order(order_sn)
    platforms.import_orders()
    assert _available("GP-OR-1") == 5
    row = PlatformOrder.objects.get(external_id=order_sn)
    assert row.state == PlatformOrder.State.CANCELLED
    assert Order.objects.get(checkout_id=row.checkout_id).fulfilment_status == Order.Fulfilment.CANCELLED
    platforms.sync()
    assert platforms.postmart.product_by_sku("GP-OR-1")["stock"] == 5
    platforms.import_orders()
    assert _available("GP-OR-1") == 5  # the cancellation is applied once
    assert Binding.objects.filter(sync_state="idle").count() == 3
