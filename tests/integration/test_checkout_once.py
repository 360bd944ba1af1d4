"""One checkout form, one order: the form's one-time key is stored unique with the checkout, a
repeat (double click, retry after a lost answer, a concurrent twin) gets the first result, and
the cart is emptied in the transaction that creates the order."""
import re
import secrets
import threading
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, connections
from django.test import Client, RequestFactory

from marketplace.catalog import services as catalog
from marketplace.catalog.models import Product, Stock
from marketplace.orders import services, views
from marketplace.orders.models import Checkout, Order
from tests import factories
from tests.factories import ProducerFactory

URL = "/thanh-toan/"
FORM = factories.CHECKOUT_FORM
KEY_INPUT = re.compile(r'name="checkout_key" value="([^"]+)"')


def rendered_form(client) -> dict:
    """The checkout page's form as the buyer posts it: with the key rendered in it."""
    page = client.get(URL)
    assert page.status_code == 200
    rendered = KEY_INPUT.search(page.content.decode())
    return {**FORM, "checkout_key": rendered.group(1) if rendered else "no-key-rendered-" + secrets.token_hex(8)}


def cart_ready(client, sku, quantity: int = 1) -> dict:
    assert client.post("/gio-hang/them/", {"sku": sku.pk, "quantity": quantity}).status_code == 302
    return rendered_form(client)


@pytest.fixture
def sku(make_listing):
    return make_listing(price_vnd=120000, stock=2).product.skus.get()


@pytest.mark.django_db
def test_each_render_has_its_own_key(client, sku):
    cart_ready(client, sku)
    first, second = rendered_form(client)["checkout_key"], rendered_form(client)["checkout_key"]
    assert first != second and len(first) >= 20


@pytest.mark.django_db
def test_the_same_form_posted_twice_places_one_order(client, sku):
    form = cart_ready(client, sku, 2)
    first = client.post(URL, form)
    assert first.status_code == 302 and "/don-hang/" in first["Location"]
    second = client.post(URL, form)
    assert (second.status_code, second["Location"]) == (302, first["Location"])
    assert Checkout.objects.count() == 1 and Checkout.objects.get().idempotency_key == form["checkout_key"]
    assert Stock.objects.get(sku=sku).reserved == 2


@pytest.mark.django_db
def test_a_transfer_repeat_goes_to_the_same_payment_page(client, sku):
    form = {**cart_ready(client, sku), "payment_method": "transfer"}
    first = client.post(URL, form)
    assert "/thanh-toan/" in first["Location"] and first["Location"] != URL
    assert client.post(URL, form)["Location"] == first["Location"] and Checkout.objects.count() == 1


@pytest.mark.django_db
def test_retry_after_a_crash_returns_the_first_order_not_out_of_stock(sku, monkeypatch):
    """The first post commits the order (the last 2 units), then the server fails before
    answering; the buyer's retry of the same form must land on that order, not be refused."""
    buyer = Client(raise_request_exception=False)
    form = cart_ready(buyer, sku, 2)
    real_redirect = views.redirect

    def crash(to, *args, **kwargs):
        if to == "orders:order":
            raise RuntimeError("worker killed before answering")
        return real_redirect(to, *args, **kwargs)

    monkeypatch.setattr(views, "redirect", crash)
    assert buyer.post(URL, form).status_code == 500
    placed = Checkout.objects.get()
    assert Stock.objects.get(sku=sku).available == 0
    monkeypatch.undo()
    retry = buyer.post(URL, form)
    assert retry.status_code == 302 and retry["Location"] == f"/don-hang/{placed.access_token}/"
    assert Checkout.objects.count() == 1 and Order.objects.count() == 1


@pytest.mark.django_db
def test_a_repeat_with_the_cart_still_full_is_not_refused_for_the_stock_it_took(client, sku):
    form = cart_ready(client, sku, 2)
    first = client.post(URL, form)
    session = client.session  # the cart comes back (another tab, an older copy of the session)
    session[services.CART_SESSION_KEY] = {str(sku.pk): 2}
    session.save()
    second = client.post(URL, form)
    assert (second.status_code, second["Location"]) == (302, first["Location"])
    assert Checkout.objects.count() == 1 and Stock.objects.get(sku=sku).reserved == 2


@pytest.mark.django_db
def test_the_cart_is_emptied_in_the_checkout_transaction(client, sku):
    """The view alone, with no middleware to store the session afterwards (as when the process
    dies after the commit): the stored session's cart is already empty."""
    form = cart_ready(client, sku)
    request = RequestFactory().post(URL, form)
    request.session = SessionStore(session_key=client.session.session_key)
    request.user = AnonymousUser()
    request._dont_enforce_csrf_checks = True
    response = views.checkout(request)
    assert response.status_code == 302 and Checkout.objects.count() == 1
    assert services.CART_SESSION_KEY not in SessionStore(session_key=client.session.session_key).load()


@pytest.mark.django_db
def test_a_refused_checkout_keeps_the_cart_and_the_key_can_be_posted_again(client, sku):
    form = cart_ready(client, sku, 2)
    catalog.stock_set(sku=sku, on_hand=1)
    refused = client.post(URL, form)
    assert refused.status_code == 400 and "chỉ còn 1" in refused.content.decode()
    assert services.cart_lines(session=client.session) and not Checkout.objects.exists()
    catalog.stock_set(sku=sku, on_hand=5)
    assert client.post(URL, form).status_code == 302 and Checkout.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "short", "x" * 65, "bad key with spaces!!!!"])
def test_a_post_without_a_valid_key_places_nothing_and_gets_a_fresh_one(client, sku, key):
    cart_ready(client, sku)
    response = client.post(URL, {**FORM, "checkout_key": key})
    html = response.content.decode()
    assert response.status_code == 400 and "Trang đặt hàng đã cũ" in html
    fresh = KEY_INPUT.search(html).group(1)
    assert fresh != key and len(fresh) >= 20 and FORM["buyer_name"] in html
    assert not Checkout.objects.exists() and Stock.objects.get(sku=sku).reserved == 0
    assert client.post(URL, {**FORM, "checkout_key": fresh}).status_code == 302


# -- PostgreSQL: two real concurrent posts of one form ------------------------------------------------
TRIES = 5


@pytest.fixture
def race_sku(transactional_db):
    producer = ProducerFactory(commune=factories.commune("02923"))
    product = Product.objects.create(producer=producer, name="Chuối sấy Gia Phú (thử đặt hai lần)")
    catalog.product_publish(product=product, name=product.name, description="", category=None,
                            skus=[catalog.SkuData("ONCE-TEST-1", "gói 500g", 45000, 500)])
    sku = product.skus.get()
    catalog.stock_set(sku=sku, on_hand=100)
    yield sku
    Checkout.objects.filter(orders__producer=producer).delete()
    catalog.product_unpublish(product_ids=[product.pk])
    product.delete()
    producer.delete()


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_posts_of_one_form_make_one_order(race_sku, monkeypatch):
    """Each post runs in its own thread with its own database connection; a pause inside the
    checkout's transaction makes them overlap every time."""
    assert connection.vendor == "postgresql"
    reserve = catalog.stock_reserve

    def slow_reserve(**kwargs):
        time.sleep(0.3)
        return reserve(**kwargs)

    monkeypatch.setattr(catalog, "stock_reserve", slow_reserve)
    for attempt in range(TRIES):
        first = Client()
        form = cart_ready(first, race_sku)
        twin = Client()
        twin.cookies = first.cookies  # the same browser: one session
        start = threading.Barrier(2)
        answers: list[tuple[int, str]] = []

        def post(client: Client) -> None:
            try:
                start.wait(timeout=30)
                response = client.post(URL, form)
                answers.append((response.status_code, response.get("Location", "")))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=post, args=(c,)) for c in (first, twin)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        placed = Checkout.objects.filter(idempotency_key=form["checkout_key"])
        assert placed.count() == 1, f"try {attempt + 1}: {answers}"
        assert answers == [(302, f"/don-hang/{placed.get().access_token}/")] * 2, answers
    assert Checkout.objects.filter(orders__lines__sku=race_sku).count() == TRIES
    assert Stock.objects.get(sku=race_sku).reserved == TRIES
