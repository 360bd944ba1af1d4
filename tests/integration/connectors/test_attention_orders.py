"""Platform orders needing attention, handled by an operator from the sync-health view:
"Thử lại" takes the order again against today's catalogue (imported exactly as an import would,
then acknowledged), "Từ chối" records who, when and why (no platform has a reject call: the
message says to cancel it on the platform's site). Both are safe under a double submit."""
from __future__ import annotations

import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from connectors import registry
from connectors.base import OrderStatus, PlatformOrderLine
from connectors.base import PlatformOrder as RemoteOrder
from connectors.models import PlatformOrder
from connectors.services import orders as order_services
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Sku, Stock
from marketplace.notifications.models import Dispatch
from marketplace.orders import signals as order_signals
from marketplace.orders.models import Checkout, Order, PaymentMethod
from tests import factories
from tests.integration.admin_world import build_world, is_denied, login

HEALTH = "/admin/connectors/health/"


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def synced(world, platforms):
    platforms.sync()
    return world


@pytest.fixture
def placed():
    """Checkouts announced through `checkout_placed` (what tells the producer)."""
    seen: list[int] = []

    def receiver(sender, checkout, **kwargs):
        seen.append(checkout.pk)

    order_signals.checkout_placed.connect(receiver, weak=False)
    yield seen
    order_signals.checkout_placed.disconnect(receiver)


def _retry_url(row) -> str:
    return f"/admin/connectors/orders/{row.pk}/retry/"


def _reject_url(row) -> str:
    return f"/admin/connectors/orders/{row.pk}/reject/"


def _available(code: str) -> int:
    return Stock.objects.get(sku__code=code).available


def _imported_once(platforms, platform: str, external_id: str) -> PlatformOrder:
    platforms.import_orders()
    row = PlatformOrder.objects.get(platform=platform, external_id=external_id)
    assert row.state == PlatformOrder.State.NEEDS_ATTENTION and row.acknowledged_at is None
    return row


def _messages(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


@pytest.mark.django_db
def test_retry_after_a_restock_imports_the_order_as_an_import_would_and_acknowledges_it(
        client, synced, platforms, placed, django_capture_on_commit_callbacks):
    order_id = platforms.postmart.add_order([("GP-T-001", 15)])  # 10 in stock
    row = _imported_once(platforms, "postmart", order_id)
    login(client, synced.users["operator"])
    html = client.get(HEALTH).content.decode()
    assert order_id in html and "GP-T-001 × 15" in html and "chỉ còn 10" in html
    assert _retry_url(row) in html and _reject_url(row) in html and "Thử lại" in html and "Từ chối" in html

    # Still short after a small restock: the reason is brought up to date and shown.
    catalog.stock_set(sku=synced.p1_sku, on_hand=12)
    response = client.post(_retry_url(row), follow=True)
    assert f"Đơn {order_id} vẫn chưa nhận được" in _messages(response) and "chỉ còn 12" in _messages(response)
    row.refresh_from_db()
    assert row.state == PlatformOrder.State.NEEDS_ATTENTION and "chỉ còn 12" in row.attention_reason
    assert not Order.objects.exists() and _available("GP-T-001") == 12

    catalog.stock_set(sku=synced.p1_sku, on_hand=20)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_retry_url(row))
    assert response.status_code == 302 and response["Location"].startswith(HEALTH)
    row.refresh_from_db()
    assert row.state == PlatformOrder.State.IMPORTED and row.attention_reason == ""
    checkout = Checkout.objects.get(pk=row.checkout_id)
    assert (checkout.channel, checkout.payment_method) == ("postmart", PaymentMethod.PLATFORM)
    order = Order.objects.get(checkout=checkout)
    assert order.producer == synced.p1_listing.product.producer and order.payment_status == Order.Payment.AUTHORISED
    line = order.lines.get()
    assert (line.sku_code, line.quantity, line.unit_price_vnd, order.total_vnd) == ("GP-T-001", 15, 100000, 1500000)
    assert placed == [checkout.pk]  # the producer is told as for any new order
    assert _available("GP-T-001") == 5
    assert row.acknowledged_at is not None and platforms.postmart.orders[order_id]["status"] == "acknowledged"

    html = client.get(HEALTH)
    assert f"Đã nhận đơn {order_id} từ PostMart" in _messages(html)
    assert _retry_url(row) not in html.content.decode()  # no longer needing attention

    # A second submit (double click, back button) changes nothing.
    acks = platforms.postmart.calls["ack"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_retry_url(row), follow=True)
    assert "đã được xử lý trước đó" in _messages(response)
    assert Order.objects.count() == 1 and _available("GP-T-001") == 5 and placed == [checkout.pk]
    assert platforms.postmart.calls["ack"] == acks
    platforms.import_orders()
    assert Order.objects.count() == 1 and _available("GP-T-001") == 5


@pytest.mark.django_db
def test_retry_after_the_sku_is_added_to_the_catalogue(client, synced, platforms, placed, django_capture_on_commit_callbacks):
    order_sn = platforms.voso.add_order([("GP-T-001", 1), ("GP-T-002", 2)])
    row = _imported_once(platforms, "voso", order_sn)
    assert "GP-T-002" in row.attention_reason
    factories.listing(producer_page=synced.p1_page, skus=[catalog.SkuData("GP-T-002", "túi 500g", 60000, 500)], stock=4)

    login(client, synced.users["operator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_retry_url(row), follow=True)
    assert f"Đã nhận đơn {order_sn} từ Voso" in _messages(response)
    row.refresh_from_db()
    assert row.state == PlatformOrder.State.IMPORTED and row.acknowledged_at is not None
    assert platforms.voso.orders[order_sn]["status"] == "confirmed"
    order = Order.objects.get(checkout_id=row.checkout_id)
    assert sorted(order.lines.values_list("sku_code", "quantity")) == [("GP-T-001", 1), ("GP-T-002", 2)]
    assert placed == [row.checkout_id]
    assert (_available("GP-T-001"), _available("GP-T-002")) == (9, 2)


@pytest.mark.django_db
def test_reject_records_who_when_why_and_says_to_cancel_on_the_platform(client, synced, platforms, placed):
    ma_don = platforms.nghean37.add_order([("GP-T-999", 1)], commune_code="02923")
    row = _imported_once(platforms, "nghean37", ma_don)
    operator = synced.users["operator"]
    login(client, operator)

    response = client.post(_reject_url(row), {"reason": "   "}, follow=True)
    assert "Hãy ghi lý do từ chối đơn." in _messages(response)
    row.refresh_from_db()
    assert row.state == PlatformOrder.State.NEEDS_ATTENTION and row.rejected_at is None

    response = client.post(_reject_url(row), {"reason": "Người mua đặt nhầm mã, không có hàng này"}, follow=True)
    text = _messages(response)
    assert f"Đã từ chối đơn {ma_don} từ 37nghean." in text
    assert f"37nghean không có cách từ chối đơn qua API: hãy huỷ đơn {ma_don} trên trang người bán của 37nghean." in text
    assert _reject_url(row) not in response.content.decode()
    row.refresh_from_db()
    assert row.state == PlatformOrder.State.REJECTED and row.get_state_display() == "Đã từ chối"
    assert row.rejected_by == operator and row.rejected_at is not None
    assert row.rejection_reason == "Người mua đặt nhầm mã, không có hàng này"
    assert row.acknowledged_at is None and platforms.nghean37.orders[ma_don]["trang_thai"] == "moi"
    rejected_at = row.rejected_at

    # A second submit, or a retry afterwards, changes nothing.
    response = client.post(_reject_url(row), {"reason": "lần hai"}, follow=True)
    assert "đã được xử lý trước đó (Đã từ chối)" in _messages(response)
    response = client.post(_retry_url(row), follow=True)
    assert "đã được xử lý trước đó (Đã từ chối)" in _messages(response)
    row.refresh_from_db()
    assert (row.state, row.rejected_at, row.rejection_reason) == (
        PlatformOrder.State.REJECTED, rejected_at, "Người mua đặt nhầm mã, không có hàng này")
    assert not Order.objects.exists() and placed == [] and _available("GP-T-001") == 10

    # Later imports keep it rejected and never acknowledge it; once cancelled on the portal it is
    # recorded as such, the rejection kept.
    platforms.import_orders()
    row.refresh_from_db()
    assert row.state == PlatformOrder.State.REJECTED and platforms.nghean37.calls["ack"] == 0
    platforms.nghean37.cancel_order(ma_don)
    platforms.import_orders()
    row.refresh_from_db()
    assert row.state == PlatformOrder.State.CANCELLED and row.rejected_by == operator
    assert PlatformOrder.objects.count() == 1 and _available("GP-T-001") == 10


@pytest.mark.django_db
def test_only_operators_act_by_post_with_a_csrf_token(client, synced, platforms):
    order_id = platforms.postmart.add_order([("KHONG-CO", 1)])
    row = _imported_once(platforms, "postmart", order_id)
    for who in ("editor_a", "producer_p1", "anonymous"):
        client.logout()
        login(client, synced.users[who])
        assert is_denied(client.post(_retry_url(row))), who
        assert is_denied(client.post(_reject_url(row), {"reason": "x"})), who
    login(client, synced.users["editor_a"])
    assert order_id not in client.get(HEALTH).content.decode()  # editors do not see platform orders

    browser = Client(enforce_csrf_checks=True)
    login(browser, synced.users["operator"])
    assert browser.get(_retry_url(row)).status_code == 405
    page = browser.get(HEALTH).content.decode()
    assert browser.post(_reject_url(row), {"reason": "không có mã này"}).status_code == 403  # no CSRF token
    row.refresh_from_db()
    assert row.state == PlatformOrder.State.NEEDS_ATTENTION
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(_reject_url(row), {"reason": "không có mã này", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.state == PlatformOrder.State.REJECTED


# --- on PostgreSQL: two submits at the same moment -------------------------------------------

@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("actions", [("retry", "retry"), ("retry", "reject"), ("reject", "reject")])
def test_simultaneous_submits_act_once(make_listing, actions):
    assert connection.vendor == "postgresql"
    make_listing(skus=[catalog.SkuData("GP-CC-1", "hũ 300g", 120000, 300)], stock=2)
    lane = registry.Lane("postmart", "", "http://127.0.0.1:9")  # not configured: nothing is called
    remote = RemoteOrder(external_id="po_cc_1", status=OrderStatus.NEW, created_at=timezone.now(),
                         lines=(PlatformOrderLine(sku="GP-CC-1", quantity=3, unit_price_vnd=120000),))
    row = order_services.order_receive(lane=lane, order=remote)
    assert row.state == PlatformOrder.State.NEEDS_ATTENTION
    catalog.stock_set(sku=Sku.objects.get(code="GP-CC-1"), on_hand=5)
    operator = factories.UserFactory(username="vanhanh.cc", is_superuser=True)

    barrier, outcomes = threading.Barrier(len(actions)), []

    def act(action: str) -> None:
        try:
            barrier.wait()
            if action == "retry":
                outcomes.append(("retry", order_services.attention_order_retry(order_id=row.pk).imported))
            else:
                order_services.attention_order_reject(order_id=row.pk, user=operator, reason="trùng đơn")
                outcomes.append(("reject", True))
        except order_services.AttentionOrderHandled:
            outcomes.append((action, False))
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(done for _, done in outcomes) == [False, True]
    winner = next(action for action, done in outcomes if done)
    row.refresh_from_db()
    stock = Stock.objects.get(sku__code="GP-CC-1")
    if winner == "retry":
        assert row.state == PlatformOrder.State.IMPORTED and Order.objects.count() == 1
        assert (stock.on_hand, stock.reserved) == (5, 3)
    else:
        assert row.state == PlatformOrder.State.REJECTED and not Order.objects.exists()
        assert (stock.on_hand, stock.reserved) == (5, 0)


@pytest.mark.django_db
def test_an_imported_order_records_the_producers_notice_with_the_order(synced, platforms, django_capture_on_commit_callbacks):
    platforms.postmart.add_order([("GP-T-001", 2)])
    with django_capture_on_commit_callbacks(execute=False):  # the process dies right after the commit
        platforms.import_orders()
    checkout = Checkout.objects.get()
    row = Dispatch.objects.get(key=f"orders:checkout:{checkout.pk}:placed")  # the sweep sends it
    assert row.task == "marketplace.orders.tasks.checkout_placed_notify" and row.args == [checkout.pk]
