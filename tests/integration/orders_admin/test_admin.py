"""The producer's order handling in the Wagtail admin, through HTTP: who sees which orders, the
actions each state allows, refusals with the service's message, cancelling with a reason."""
from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from marketplace.catalog.models import Stock
from marketplace.orders import services
from marketplace.orders.models import Order, OrderTransition, PaymentMethod

from ..admin_world import is_denied, login

pytestmark = pytest.mark.django_db
F, P = Order.Fulfilment, Order.Payment


def detail(order) -> str:
    return f"/admin/orders/{order.pk}/"


def act(client, order, action: str, **data):
    return client.post(detail(order), {"action": action, **data}, follow=True)


def test_each_user_lists_only_the_orders_in_their_scope(client, world, place):
    orders = place()
    ref = orders["checkout"].reference
    seen = {}
    for role in ("operator", "producer_p1", "producer_p2", "editor_a", "editor_b"):
        client.logout()
        login(client, world.users[role])
        html = client.get("/admin/orders/").content.decode()
        seen[role] = {name for name in ("p1", "p2") if detail(orders[name]) in html}
        assert ref in html
    assert seen == {"operator": {"p1", "p2"}, "producer_p1": {"p1"}, "producer_p2": {"p2"},
                    "editor_a": {"p1"}, "editor_b": {"p2"}}
    menu = client.get("/admin/").content.decode()
    assert "/admin/orders/" in menu.replace("\\/", "/")


def test_outsiders_are_refused(client, world, place):
    orders = place()
    assert is_denied(client.get("/admin/orders/"))  # anonymous
    login(client, world.users["producer_p2"])
    assert client.get(detail(orders["p1"])).status_code == 404
    assert client.post(detail(orders["p1"]), {"action": "confirm"}).status_code == 404
    assert Order.objects.get(pk=orders["p1"].pk).fulfilment_status == F.PLACED


def test_a_commune_editor_sees_the_order_read_only(client, world, place):
    orders = place()
    login(client, world.users["editor_a"])
    html = client.get(detail(orders["p1"])).content.decode()
    assert "Trần Văn Bình" in html and "Bạn chỉ được xem đơn này" in html and 'value="confirm"' not in html
    assert is_denied(client.post(detail(orders["p1"]), {"action": "confirm"}))
    assert client.get(detail(orders["p2"])).status_code == 404
    assert Order.objects.get(pk=orders["p1"].pk).fulfilment_status == F.PLACED


def test_the_detail_page_shows_lines_contact_address_and_log(client, world, place):
    orders = place(quantity=2)
    login(client, world.users["producer_p1"])
    html = client.get(detail(orders["p1"])).content.decode()
    for text in (world.p1_sku.code, "200.000 ₫", "Trần Văn Bình", "0987 654 321", "binh@example.vn",
                 "Thôn Cóc 2, nhà số 14", "Xã Gia Phú", "Đặt hàng", 'value="confirm"', 'value="cancel"'):
        assert text in html, text
    assert world.p2_sku.code not in html
    assert 'value="ship"' not in html and 'value="pack"' not in html


def test_a_cod_order_goes_all_the_way_through_the_buttons(client, world, place):
    orders = place()
    order = orders["p1"]
    user = world.users["producer_p1"]
    login(client, user)
    for action, message in (("confirm", "Đã xác nhận đơn"), ("pack", "Đã ghi nhận đóng gói"), ("ship", "đang được giao"),
                            ("deliver", "đã giao"), ("cash", "Đã ghi nhận tiền mặt"), ("complete", "đã hoàn tất")):
        response = act(client, order, action)
        assert response.status_code == 200 and message in response.content.decode(), action
    order.refresh_from_db()
    assert (order.fulfilment_status, order.payment_status, order.stock_state) == (F.COMPLETED, P.PAID, Order.StockState.SOLD)
    assert order.packed_at is not None and timezone.now() - order.packed_at < dt.timedelta(minutes=5)
    log = list(order.transitions.values_list("field", "from_state", "to_state", "by", "note"))
    assert log[2] == ("fulfilment", F.CONFIRMED, F.CONFIRMED, user.pk, "Đã đóng gói")
    assert [row[2] for row in log] == [F.PLACED, F.CONFIRMED, F.CONFIRMED, F.SHIPPED, F.DELIVERED, P.PAID, F.COMPLETED]
    assert all(row[3] == user.pk for row in log[1:])
    assert Stock.objects.get(sku=world.p1_sku).on_hand == 9


@pytest.mark.parametrize("action, message", [
    ("pack", "chỉ đóng gói được khi đã xác nhận"),
    ("ship", "không thể chuyển từ “Đã đặt” sang “Đang giao”"),
    ("cash", "chỉ thu tiền khi đã giao hàng"),
    ("complete", "không thể chuyển từ “Đã đặt” sang “Hoàn tất”"),
    ("fly", "Thao tác không hợp lệ"),
])
def test_an_invalid_move_shows_the_reason_and_changes_nothing(client, world, place, action, message):
    order = place()["p1"]
    login(client, world.users["producer_p1"])
    response = act(client, order, action)
    assert response.status_code == 200 and message in response.content.decode()
    order.refresh_from_db()
    assert (order.fulfilment_status, order.payment_status, order.packed_at) == (F.PLACED, P.UNPAID, None)
    assert order.transitions.count() == 1


def test_packing_twice_is_refused(client, world, place):
    order = place()["p1"]
    login(client, world.users["producer_p1"])
    act(client, order, "confirm")
    act(client, order, "pack")
    assert "đã được đóng gói" in act(client, order, "pack").content.decode()
    assert order.transitions.filter(note="Đã đóng gói").count() == 1


def test_an_unpaid_card_order_cannot_be_confirmed(client, world, place):
    order = place(method=PaymentMethod.CARD)["p1"]
    login(client, world.users["producer_p1"])
    html = client.get(detail(order)).content.decode()
    assert 'value="confirm"' not in html and "Đơn chờ thanh toán" in html
    assert "chưa được thanh toán" in act(client, order, "confirm").content.decode()


def test_actions_need_a_csrf_token(world, place):
    order = place()["p1"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.users["producer_p1"])
    assert strict.post(detail(order), {"action": "confirm"}).status_code == 403
    assert Order.objects.get(pk=order.pk).fulfilment_status == F.PLACED


def test_cancelling_needs_a_reason_and_gives_the_stock_back(client, world, place):
    order = place()["p1"]
    login(client, world.users["producer_p1"])
    response = client.post(detail(order), {"action": "cancel", "reason": "  "})
    assert response.status_code == 400 and "Vui lòng nhập lý do huỷ đơn" in response.content.decode()
    assert Order.objects.get(pk=order.pk).fulfilment_status == F.PLACED
    response = act(client, order, "cancel", reason="Hết hàng trong kho")
    assert "Đã huỷ đơn" in response.content.decode()
    order.refresh_from_db()
    assert (order.fulfilment_status, order.cancel_reason, order.stock_state) == (F.CANCELLED, "Hết hàng trong kho", "released")
    assert Stock.objects.get(sku=world.p1_sku).reserved == 0
    assert 'value="cancel"' not in client.get(detail(order)).content.decode()


def test_the_list_filters_by_state_payment_and_date(client, world, place):
    first, second = place()["p1"], place()["p1"]
    services.order_transition(order=second, field="fulfilment", to=F.CONFIRMED)
    Order.objects.filter(pk=first.pk).update(created_at=timezone.now() - dt.timedelta(days=10))
    login(client, world.users["producer_p1"])

    def listed(query: str) -> set[int]:
        html = client.get(f"/admin/orders/?{query}").content.decode()
        return {order.pk for order in (first, second) if detail(order) in html}

    assert listed("") == {first.pk, second.pk}
    assert listed("fulfilment_status=confirmed") == {second.pk}
    assert listed("fulfilment_status=placed&payment_status=unpaid") == {first.pk}
    assert listed("payment_status=paid") == set()
    today = timezone.localdate()
    assert listed(f"created_at_from={today - dt.timedelta(days=1)}&created_at_to={today}") == {second.pk}
    assert listed(f"q={second.checkout.reference}") == {second.pk}
    results = client.get("/admin/orders/results/?fulfilment_status=confirmed")
    assert results.status_code == 200 and detail(second) in results.content.decode()


def test_transitions_are_logged_with_the_admin_user(client, world, place):
    order = place()["p2"]
    operator = world.users["operator"]
    login(client, operator)
    act(client, order, "confirm")
    last = order.transitions.last()
    assert (last.field, last.to_state, last.by_id) == (OrderTransition.Field.FULFILMENT, F.CONFIRMED, operator.pk)
    assert "vanhanh" in client.get(detail(order)).content.decode()


def _paid_transfer_order(place):
    order = place(method=PaymentMethod.TRANSFER, quantity=2)["p1"]
    return services.order_transition(order=order, field="payment", to=P.PAID, note="Chuyển khoản khớp")


def test_cancelling_a_paid_order_refunds_it_in_full_by_default(client, world, place):
    order = _paid_transfer_order(place)  # 2 × 100.000 + 15.000 delivery
    login(client, world.users["producer_p1"])
    html = client.get(detail(order)).content.decode()
    assert 'name="refund_vnd"' in html and 'value="215000"' in html
    response = act(client, order, "cancel", reason="Khách đổi ý", refund_vnd="215000")
    assert "Đã huỷ đơn" in response.content.decode()
    order.refresh_from_db()
    assert (order.fulfilment_status, order.payment_status) == (F.CANCELLED, P.REFUNDED)
    assert [(r.amount_vnd, r.reason) for r in order.refunds.all()] == [(215000, "Khách đổi ý")]


def test_a_partial_refund_then_the_rest(client, world, place):
    order = _paid_transfer_order(place)
    login(client, world.users["producer_p1"])
    act(client, order, "cancel", reason="Thiếu một túi", refund_vnd="100000")
    order.refresh_from_db()
    assert (order.fulfilment_status, order.payment_status) == (F.CANCELLED, P.PARTLY_REFUNDED)
    html = client.get(detail(order)).content.decode()
    assert 'value="refund"' in html and "115.000 ₫" in html
    too_much = act(client, order, "refund", amount_vnd="115001")
    assert "Số tiền hoàn phải từ 1 đến 115.000 đồng" in too_much.content.decode()
    bad = client.post(detail(order), {"action": "refund", "amount_vnd": "mười"})
    assert bad.status_code == 400 and "Số tiền hoàn phải là số nguyên" in bad.content.decode()
    act(client, order, "refund", amount_vnd="115000", reason="Hoàn nốt")
    order.refresh_from_db()
    assert order.payment_status == P.REFUNDED and sum(r.amount_vnd for r in order.refunds.all()) == 215000
    assert 'value="refund"' not in client.get(detail(order)).content.decode()


def test_a_refund_larger_than_paid_is_refused_before_cancelling(client, world, place):
    order = _paid_transfer_order(place)
    login(client, world.users["producer_p1"])
    response = act(client, order, "cancel", reason="Khách đổi ý", refund_vnd="999999")
    assert "Số tiền hoàn phải từ 1 đến 215.000 đồng" in response.content.decode()
    order.refresh_from_db()
    assert (order.fulfilment_status, order.payment_status) == (F.PLACED, P.PAID)


def test_cancelling_without_refund_now_keeps_the_order_paid(client, world, place):
    order = _paid_transfer_order(place)
    login(client, world.users["producer_p1"])
    act(client, order, "cancel", reason="Hoàn sau khi kiểm hàng", refund_vnd="0")
    order.refresh_from_db()
    assert (order.fulfilment_status, order.payment_status) == (F.CANCELLED, P.PAID)
    assert not order.refunds.exists()
