"""Cart, checkout (one order per producer), delivery fees, the two state machines, stock
reservations and their expiry, and the public pages' answers to bad input."""
import datetime as dt

import pytest
from django.utils import timezone

from marketplace.catalog import services as catalog
from marketplace.catalog.models import Stock
from marketplace.orders import services
from marketplace.orders.models import Checkout, Order, OrderLine, OrderTransition, PaymentMethod
from tests import factories
from tests.factories import checkout_form

pytestmark = pytest.mark.django_db

F, P = Order.Fulfilment, Order.Payment
BUYER = services.BuyerData(name="Nguyễn Thị Lan", phone="0912 345 678", email="lan@example.vn", consent=True)
HOME = services.DeliveryData(commune_code="02923", address_line="Thôn 3")  # same commune as the first producer
FORM = factories.CHECKOUT_FORM


@pytest.fixture
def sku(make_listing):
    return make_listing(price_vnd=120000, stock=10).product.skus.get()


@pytest.fixture
def other_sku():
    """A SKU of a second producer, in Hà Nội."""
    page = factories.producer_page(commune=factories.commune("00004"))
    return factories.listing(producer_page=page, price_vnd=50000, stock=5).product.skus.get()


def stock(sku) -> Stock:
    return Stock.objects.get(sku=sku)


def place(lines, method=PaymentMethod.COD, delivery=HOME, buyer=BUYER):
    return services.checkout_place(lines=lines, buyer=buyer, delivery=delivery, payment_method=method)


def move(order, field, to, **kwargs):
    return services.order_transition(order=order, field=field, to=to, **kwargs)


# -- catalogue reservation services ----------------------------------------------------------------
def test_reserve_is_all_or_nothing_and_names_the_sku(sku, other_sku):
    with pytest.raises(catalog.OutOfStock) as error:
        catalog.stock_reserve(lines=[(sku.pk, 3), (other_sku.pk, 6)])
    assert error.value.sku_code == other_sku.code and error.value.available == 5
    assert stock(sku).reserved == 0 and stock(other_sku).reserved == 0
    catalog.stock_reserve(lines=[(sku.pk, 3), (sku.pk, 2), (other_sku.pk, 5)])
    assert (stock(sku).reserved, stock(other_sku).reserved) == (5, 5)
    catalog.stock_commit(lines=[(sku.pk, 2)])
    assert (stock(sku).on_hand, stock(sku).reserved) == (8, 3)
    catalog.stock_release(lines=[(sku.pk, 3)])
    assert (stock(sku).on_hand, stock(sku).reserved) == (8, 0)
    with pytest.raises(catalog.StockMismatch):
        catalog.stock_release(lines=[(sku.pk, 1)])
    with pytest.raises(ValueError):
        catalog.stock_reserve(lines=[(sku.pk, 0)])


def test_reservations_signal_stock_changed(sku):
    seen = []

    def listener(sender, sku_ids, **kwargs):
        seen.append(list(sku_ids))

    catalog.signals.stock_changed.connect(listener)
    try:
        catalog.stock_reserve(lines=[(sku.pk, 1)])
        catalog.stock_commit(lines=[(sku.pk, 1)])
    finally:
        catalog.signals.stock_changed.disconnect(listener)
    assert seen == [[sku.pk], [sku.pk]]


# -- cart -----------------------------------------------------------------------------------------
def test_cart_add_set_and_lines(client, sku, other_sku):
    session = client.session
    assert services.cart_add(session=session, sku_id=sku.pk, quantity=2) == 2
    assert services.cart_add(session=session, sku_id=sku.pk, quantity=1) == 3
    services.cart_add(session=session, sku_id=other_sku.pk)
    lines = services.cart_lines(session=session)
    assert {(line.sku.pk, line.quantity) for line in lines} == {(sku.pk, 3), (other_sku.pk, 1)}
    assert sum(line.total_vnd for line in lines) == 3 * 120000 + 50000
    services.cart_set(session=session, sku_id=other_sku.pk, quantity=0)
    assert [(line.sku.pk, line.quantity) for line in services.cart_lines(session=session)] == [(sku.pk, 3)]
    with pytest.raises(services.CartError, match="chỉ còn 10"):
        services.cart_set(session=session, sku_id=sku.pk, quantity=11)
    with pytest.raises(services.CartError, match="không bán"):
        services.cart_add(session=session, sku_id=999999)


def test_add_to_cart_from_the_cached_product_page_without_a_csrf_token(sku):
    from django.test import Client

    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(sku.product.url_path)
    html = page.content.decode()
    assert "Thêm vào giỏ" in html and "csrfmiddlewaretoken" not in html
    assert anonymous.get(sku.product.url_path)["X-Page-Cache"] == "hit"
    response = anonymous.post("/gio-hang/them/", {"sku": sku.pk, "quantity": "2"}, follow=True)
    assert response.status_code == 200 and "Đã thêm vào giỏ hàng" in response.content.decode()
    assert sku.product.name in response.content.decode()
    # Changing the cart on the cart page is CSRF-protected.
    assert anonymous.post("/gio-hang/", {"sku": sku.pk, "quantity": "0"}).status_code == 403


@pytest.mark.parametrize("quantity, message", [
    ("0", "Số lượng phải từ 1 trở lên"),
    ("-3", "Số lượng phải từ 1 trở lên"),
    ("100000", "Mỗi sản phẩm đặt tối đa 99"),
    ("ba", "Số lượng phải là một số nguyên"),
    ("11", "chỉ còn 10"),
])
def test_add_to_cart_bad_quantity_is_a_clear_message(client, sku, quantity, message):
    response = client.post("/gio-hang/them/", {"sku": sku.pk, "quantity": quantity})
    assert response.status_code == 400 and message in response.content.decode()
    assert services.cart_lines(session=client.session) == []


# -- checkout ------------------------------------------------------------------------------------
def test_checkout_splits_per_producer_with_delivery_fees_and_reserves_stock(sku, other_sku, settings):
    settings.ORDER_DELIVERY_FEES_VND = {"pickup": 0, "same_commune": 15000, "same_province": 25000, "other_province": 40000}
    checkout = place([(sku.pk, 2), (other_sku.pk, 1)])
    orders = {order.producer_id: order for order in checkout.orders.all()}
    near, far = orders[sku.product.producer_id], orders[other_sku.product.producer_id]
    assert (near.subtotal_vnd, near.delivery_fee_vnd, near.total_vnd) == (240000, 15000, 255000)
    assert (far.subtotal_vnd, far.delivery_fee_vnd, far.total_vnd) == (50000, 40000, 90000)
    assert checkout.total_vnd == 345000 and checkout.reservation_expires_at is None
    assert all(o.fulfilment_status == F.PLACED and o.payment_status == P.UNPAID for o in orders.values())
    line = near.lines.get()
    assert (line.sku_code, line.unit_price_vnd, line.quantity, line.name) == (sku.code, 120000, 2, sku.product.name)
    assert (stock(sku).on_hand, stock(sku).reserved) == (10, 2)
    assert str(checkout.phone) == "+84912345678" and checkout.privacy_consent_at
    assert checkout.reference.startswith("OCOP") and len(checkout.access_token) >= 32


def test_delivery_fee_zones(sku, settings):
    settings.ORDER_DELIVERY_FEES_VND = {"pickup": 0, "same_commune": 15000, "same_province": 25000, "other_province": 40000}
    same_province = services.DeliveryData(commune_code="02647", address_line="Số 1 Hoàng Liên")  # Phường Lào Cai
    pickup = services.DeliveryData(commune_code="00004", kind=Checkout.Delivery.PICKUP)  # no address needed
    assert place([(sku.pk, 1)], delivery=same_province).orders.get().delivery_fee_vnd == 25000
    assert place([(sku.pk, 1)], delivery=pickup).orders.get().delivery_fee_vnd == 0


def test_price_changes_after_checkout_do_not_touch_the_order(sku):
    checkout = place([(sku.pk, 1)])
    sku.price_vnd = 999000
    sku.save()
    assert checkout.orders.get().lines.get().unit_price_vnd == 120000


@pytest.mark.parametrize("change, message", [
    ({"delivery": services.DeliveryData(commune_code="99999", address_line="x")}, "Không tìm thấy xã/phường có mã 99999"),
    ({"delivery": services.DeliveryData(commune_code="02923", address_line=" ")}, "Vui lòng nhập địa chỉ nhận hàng"),
    ({"buyer": services.BuyerData(name="Lan", phone="12345", consent=True)}, "số điện thoại"),
    ({"buyer": services.BuyerData(name="Lan", phone="+1 202 555 0143", consent=True)}, "định dạng Việt Nam"),
    ({"buyer": services.BuyerData(name="Lan", phone="0912345678", consent=False)}, "Cần đồng ý"),
    ({"method": "bitcoin"}, "Cách thanh toán không hợp lệ"),
    ({"lines": "empty"}, "Giỏ hàng đang trống"),
    ({"lines": "zero"}, "Số lượng mỗi sản phẩm từ 1 đến 99"),
    ({"lines": "too many"}, "chỉ còn 10, không đủ 11"),
])
def test_checkout_bad_input_saves_and_reserves_nothing(sku, change, message):
    lines = {"empty": [], "zero": [(sku.pk, 0)], "too many": [(sku.pk, 11)]}.get(change.get("lines"), [(sku.pk, 1)])
    kwargs = {"delivery": change.get("delivery", HOME), "buyer": change.get("buyer", BUYER), "method": change.get("method", PaymentMethod.COD)}
    with pytest.raises(services.CheckoutError) as error:
        place(lines, **kwargs)
    assert message.lower() in error.value.message.lower()
    assert not Checkout.objects.exists() and not Order.objects.exists() and not OrderLine.objects.exists()
    assert stock(sku).reserved == 0


def test_out_of_stock_on_one_line_rolls_back_the_whole_checkout(sku, other_sku):
    with pytest.raises(services.CheckoutError, match="chỉ còn 5, không đủ 6"):
        place([(sku.pk, 1), (other_sku.pk, 6)])
    assert not Order.objects.exists() and stock(sku).reserved == 0 and stock(other_sku).reserved == 0


def test_unpublished_sku_cannot_be_checked_out(sku):
    catalog.product_unpublish(product_ids=[sku.product_id])
    with pytest.raises(services.CheckoutError, match="không còn bán"):
        place([(sku.pk, 1)])


# -- pages --------------------------------------------------------------------------------------
def test_checkout_pages_end_to_end(client, sku):
    client.post("/gio-hang/them/", {"sku": sku.pk, "quantity": "2"})
    page = client.get("/thanh-toan/")
    assert page.status_code == 200 and 'value="cod"' in page.content.decode() and 'value="card"' not in page.content.decode()
    response = client.post("/thanh-toan/", checkout_form(FORM))
    checkout = Checkout.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/don-hang/{checkout.access_token}/"
    order_page = client.get(response["Location"])
    html = order_page.content.decode()
    assert order_page.status_code == 200 and checkout.reference in html and "Đã đặt" in html and "Chưa thanh toán" in html
    assert "240.000 ₫" in html and "no-store" in order_page["Cache-Control"]
    assert services.cart_lines(session=client.session) == []  # the cart is emptied
    assert client.get("/don-hang/khong-co-token-nay/").status_code == 404


@pytest.mark.parametrize("field, value, message", [
    ("commune_code", "99999", "Không tìm thấy xã/phường có mã 99999"),
    ("phone", "12345", "Số điện thoại không đúng định dạng Việt Nam"),
    ("consent", "", "Cần đồng ý với chính sách bảo vệ dữ liệu cá nhân"),
    ("payment_method", "card", "Cách thanh toán này chưa được hỗ trợ"),
    ("address_line", "", "Vui lòng nhập địa chỉ nhận hàng"),
])
def test_checkout_page_bad_input_is_a_clear_message_and_saves_nothing(client, sku, field, value, message):
    client.post("/gio-hang/them/", {"sku": sku.pk, "quantity": "1"})
    data = checkout_form(FORM, **{field: value})
    if not value:
        data.pop(field)
    response = client.post("/thanh-toan/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert FORM["buyer_name"] in response.content.decode()  # what was typed is kept
    assert not Checkout.objects.exists() and stock(sku).reserved == 0
    assert len(services.cart_lines(session=client.session)) == 1


def test_checkout_page_when_stock_ran_out_meanwhile(client, sku):
    client.post("/gio-hang/them/", {"sku": sku.pk, "quantity": "3"})
    catalog.stock_set(sku=sku, on_hand=2)
    response = client.post("/thanh-toan/", checkout_form(FORM))
    assert response.status_code == 400 and "chỉ còn 2, không đủ 3" in response.content.decode()
    assert not Checkout.objects.exists()


def test_signed_in_buyer_checkout_is_linked_to_the_user(client, sku):
    user = factories.UserFactory(username="nguoimua")
    client.force_login(user)
    client.post("/gio-hang/them/", {"sku": sku.pk, "quantity": "1"})
    assert client.post("/thanh-toan/", checkout_form(FORM)).status_code == 302
    checkout = Checkout.objects.get()
    assert checkout.user == user and checkout.orders.get().transitions.get().by == user


def test_checkout_page_with_an_empty_cart_goes_back_to_the_cart(client, db):
    response = client.get("/thanh-toan/", follow=True)
    assert response.redirect_chain[-1][0] == "/gio-hang/" and "Giỏ hàng đang trống" in response.content.decode()


# -- state machines and stock -----------------------------------------------------------------------
def test_cod_order_ships_unpaid_then_cash_makes_it_paid(sku):
    order = place([(sku.pk, 3)]).orders.get()
    seller = factories.UserFactory(username="nsx")
    for to in (F.CONFIRMED, F.SHIPPED):
        order = move(order, OrderTransition.Field.FULFILMENT, to, by=seller)
    assert order.payment_status == P.UNPAID and order.stock_state == Order.StockState.SOLD
    assert (stock(sku).on_hand, stock(sku).reserved) == (7, 0)
    with pytest.raises(services.TransitionError, match="chỉ thu tiền khi đã giao hàng"):
        services.order_cash_record(order=order)
    with pytest.raises(services.TransitionError, match="chưa thu tiền"):
        move(move(order, "fulfilment", F.DELIVERED), "fulfilment", F.COMPLETED)
    order = services.order_cash_record(order=Order.objects.get(pk=order.pk), by=seller)
    order = move(order, "fulfilment", F.COMPLETED, by=seller)
    assert (order.fulfilment_status, order.payment_status) == (F.COMPLETED, P.PAID)
    log = list(order.transitions.values_list("field", "from_state", "to_state", "by__username"))
    assert log == [
        ("fulfilment", "", "placed", None), ("fulfilment", "placed", "confirmed", "nsx"), ("fulfilment", "confirmed", "shipped", "nsx"),
        ("fulfilment", "shipped", "delivered", None), ("payment", "unpaid", "paid", "nsx"), ("fulfilment", "delivered", "completed", "nsx"),
    ]


@pytest.mark.parametrize("field, path, to", [
    ("fulfilment", [], F.SHIPPED),
    ("fulfilment", [], F.COMPLETED),
    ("fulfilment", [F.CANCELLED], F.CONFIRMED),
    ("payment", [], P.REFUNDED),
])
def test_invalid_transitions_are_clear_errors_and_change_nothing(sku, field, path, to):
    order = place([(sku.pk, 1)]).orders.get()
    for step in path:
        order = move(order, "fulfilment", step)
    before = order.transitions.count()
    with pytest.raises(services.TransitionError, match="không thể chuyển từ"):
        move(order, field, to)
    fresh = Order.objects.get(pk=order.pk)
    assert (fresh.fulfilment_status, fresh.payment_status) == (order.fulfilment_status, order.payment_status)
    assert fresh.transitions.count() == before


def test_payment_table(sku):
    order = Order.objects.get(pk=place([(sku.pk, 1)], method=PaymentMethod.CARD).orders.get().pk)
    for to in (P.AUTHORISED, P.UNPAID, P.AUTHORISED, P.PAID, P.PARTLY_REFUNDED, P.REFUNDED):
        order = move(order, "payment", to)
    with pytest.raises(services.TransitionError):
        move(order, "payment", P.PAID)


def test_prepaid_order_cannot_be_confirmed_before_payment(sku):
    order = place([(sku.pk, 1)], method=PaymentMethod.TRANSFER).orders.get()
    with pytest.raises(services.TransitionError, match="chưa được thanh toán"):
        move(order, "fulfilment", F.CONFIRMED)
    order = move(order, "payment", P.PAID)
    assert move(order, "fulfilment", F.CONFIRMED).fulfilment_status == F.CONFIRMED


def test_cancel_before_shipping_releases_and_after_shipping_returns_stock(sku):
    held = place([(sku.pk, 2)]).orders.get()
    shipped = place([(sku.pk, 3)]).orders.get()
    for to in (F.CONFIRMED, F.SHIPPED):
        shipped = move(shipped, "fulfilment", to)
    assert (stock(sku).on_hand, stock(sku).reserved) == (7, 2)
    held = move(held, "fulfilment", F.CANCELLED, note="Khách đổi ý")
    assert held.cancel_reason == "Khách đổi ý" and held.stock_state == Order.StockState.RELEASED
    assert (stock(sku).on_hand, stock(sku).reserved) == (7, 0)
    move(shipped, "fulfilment", F.CANCELLED, note="Khách không nhận hàng")
    assert (stock(sku).on_hand, stock(sku).reserved) == (10, 0)


def test_expired_reservations_are_released_once(sku, settings):
    settings.ORDER_RESERVATION_MINUTES_CARD = 15
    settings.ORDER_RESERVATION_HOURS_TRANSFER = 24
    card = place([(sku.pk, 2)], method=PaymentMethod.CARD)
    transfer = place([(sku.pk, 3)], method=PaymentMethod.TRANSFER)
    paid = place([(sku.pk, 1)], method=PaymentMethod.CARD)
    cod = place([(sku.pk, 1)])
    move(paid.orders.get(), "payment", P.PAID)
    now = timezone.now()
    assert dt.timedelta(minutes=14) < card.reservation_expires_at - now <= dt.timedelta(minutes=15)
    assert dt.timedelta(hours=23) < transfer.reservation_expires_at - now <= dt.timedelta(hours=24)
    assert stock(sku).reserved == 7
    assert services.reservations_release_expired(now=now + dt.timedelta(minutes=16)) == 1
    assert card.orders.get().fulfilment_status == F.CANCELLED and stock(sku).reserved == 5
    assert services.reservations_release_expired(now=now + dt.timedelta(minutes=16)) == 0  # idempotent
    from marketplace.orders.tasks import reservations_release_expired as task

    assert services.reservations_release_expired(now=now + dt.timedelta(hours=25)) == 1
    assert task.delay().get() == 0
    assert transfer.orders.get().stock_state == Order.StockState.RELEASED and stock(sku).reserved == 2  # paid + cod kept
    assert cod.orders.get().fulfilment_status == F.PLACED
    assert transfer.orders.get().transitions.last().note.startswith("Hết thời gian giữ hàng")


def test_beat_schedule_runs_the_expiry_task(settings):
    from marketplace import celery_app

    entry = settings.CELERY_BEAT_SCHEDULE["orders-reservations-release-expired"]
    assert entry["task"] in celery_app.tasks
