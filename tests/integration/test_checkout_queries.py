"""What one checkout post costs the database (issue #5), and that the savings keep behaviour:
the SKUs are loaded once (the cart's, at the catalogue price), the live window is looked up
once, the stock change's listeners stay cheap when no platform is configured but still write
the connector outbox in the checkout's transaction when one is, and search still re-indexes."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from connectors.models import Connection, OutboxEntry
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Stock
from marketplace.livestreams import pricing
from marketplace.livestreams import services as live
from marketplace.livestreams.models import Host, LiveSale
from marketplace.orders import services
from marketplace.orders.models import Checkout, Order, OrderLine, OrderTransition

from tests import factories
from tests.factories import checkout_form

from .livestreams.conftest import local_in, open_window

pytestmark = pytest.mark.django_db

FORM = factories.CHECKOUT_FORM

# A COD checkout post of one line, no live window, no platform configured:
#   session (1) · SKUs with product, producer, commune and stock (1) · commune (1) ·
#   transaction: live window (1), stock savepoint + reserve + release (3), "any platform
#   connection?" (1), search's outbox row for the SKU (1, one upsert: the re-index survives a
#   lost task), checkout, order, line, transition (4), the order notices' dispatch row (1,
#   one insert: the notices commit with the orders, so a process dying after the commit
#   cannot lose them) — and its BEGIN/COMMIT (2 on PostgreSQL, savepoints in a test) ·
#   session save in its own transaction (3).
# It was 23: the SKUs loaded twice, the live window three times, the order lines read back,
# the checkout's total a separate UPDATE, and search's SKU → product lookup in the transaction.
# Then 18, with the dispatch row written after the commit (uncounted here, and losable).
COD_CHECKOUT_QUERIES = 19


@pytest.fixture
def sku(make_listing):
    return make_listing(price_vnd=120000, stock=10).product.skus.get()


@pytest.fixture
def live_occurrence(commune, sku):
    """A session featuring the SKU at 99.000 ₫ (5 live units, 2 per buyer), its window open now."""
    editor = factories.UserFactory(username="bientap.live", is_superuser=True, is_staff=True)
    host = live.host_verify(host=live.host_save(host=Host(name="Nguyễn Thị Hoa", id_number="001203004567")), by=editor)
    start = local_in(days=1)
    session = live.live_session_save(data=live.SessionData(
        title="Chợ phiên Gia Phú online", commune_id=commune.pk, starts_local=start, ends_local=start + dt.timedelta(hours=2),
        host_ids=[host.pk], featured=[live.FeaturedData(sku_id=sku.pk, live_price_vnd=99000, cap_total=5, cap_per_buyer=2)],
        links={"tiktok": "https://www.tiktok.com/@giaphu/live", "own": ""}, venue="Nhà văn hoá thôn 3"), schedule=True, by=None)
    return open_window(session.occurrences.get())


def cart_ready(client, sku, quantity=1):
    assert client.post(reverse("orders:cart-add"), {"sku": sku.pk, "quantity": quantity}).status_code == 302
    assert client.get(reverse("orders:checkout")).status_code == 200


def test_cod_checkout_post_query_count(client, sku, django_assert_max_num_queries):
    cart_ready(client, sku)
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(COD_CHECKOUT_QUERIES):
        response = client.post(reverse("orders:checkout"), checkout_form(FORM))
    assert response.status_code == 302 and "/don-hang/" in response["Location"]
    sql = [query["sql"] for query in queries.captured_queries]
    assert sum('FROM "catalog_sku"' in q for q in sql) == 1  # the cart's SKUs serve the checkout too
    assert sum('FROM "livestreams_occurrence"' in q for q in sql) == 1  # the live window, once
    assert not any('"orders_orderline"."id"' in q and q.startswith("SELECT") for q in sql)  # lines not read back
    assert sum('"notifications_dispatch"' in q for q in sql) == 1  # the notices' record: one insert, no lookup
    # What is written is unchanged: one checkout with its total, one order, line and transition.
    checkout = Checkout.objects.get()
    order = Order.objects.get(checkout=checkout)
    assert (checkout.total_vnd, order.subtotal_vnd, order.total_vnd) == (order.total_vnd, 120000, 120000 + order.delivery_fee_vnd)
    assert OrderLine.objects.get(order=order).unit_price_vnd == 120000
    assert OrderTransition.objects.filter(order=order, to_state=Order.Fulfilment.PLACED).count() == 1
    assert Stock.objects.get(sku=sku).reserved == 1
    assert services.cart_lines(session=client.session) == []


def test_given_skus_are_copied_at_the_catalogue_price(sku):
    shown = services._sellable_skus([sku.pk])
    shown[sku.pk].normal_price_vnd, shown[sku.pk].price_vnd = 120000, 99000  # as the cart shows a live price
    checkout = services.checkout_place(
        lines=[(sku.pk, 2)], skus=shown, payment_method="cod",
        buyer=services.BuyerData(name="Lan", phone="0912 345 678", consent=True),
        delivery=services.DeliveryData(commune_code="02923", address_line="Thôn 3"))
    line = OrderLine.objects.get(order__checkout=checkout)
    assert (line.unit_price_vnd, line.quantity) == (120000, 2)  # no live offer: the catalogue price
    assert shown[sku.pk].price_vnd == 99000  # the caller's instance is left alone


def test_given_skus_missing_a_line_are_loaded_again(sku, make_listing):
    other = make_listing(price_vnd=50000, stock=5).product.skus.get()
    checkout = services.checkout_place(
        lines=[(sku.pk, 1), (other.pk, 1)], skus=services._sellable_skus([sku.pk]), payment_method="cod",
        buyer=services.BuyerData(name="Lan", phone="0912 345 678", consent=True),
        delivery=services.DeliveryData(commune_code="02923", address_line="Thôn 3"))
    assert sorted(OrderLine.objects.filter(order__checkout=checkout).values_list("unit_price_vnd", flat=True)) == [50000, 120000]


def test_live_checkout_looks_up_the_window_once_and_attributes(client, sku, live_occurrence):
    cart_ready(client, sku, 2)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("orders:checkout"), checkout_form(FORM))
    assert response.status_code == 302
    window = 'SELECT DISTINCT "livestreams_occurrence"'
    assert sum(q["sql"].startswith(window) for q in queries.captured_queries) == 1
    line = OrderLine.objects.get(sku=sku)
    assert (line.unit_price_vnd, line.quantity) == (99000, 2)
    sale = LiveSale.objects.get()
    assert (sale.occurrence_id, sale.order_line_id) == (live_occurrence.pk, line.pk)
    assert (sale.at_live_price, sale.featured, sale.quantity, sale.unit_price_vnd) == (True, True, 2, 99000)


def test_refused_post_shows_the_live_price(client, sku, live_occurrence):
    cart_ready(client, sku)
    response = client.post(reverse("orders:checkout"), checkout_form(FORM, consent=""))
    assert response.status_code == 400
    assert "99.000 ₫" in response.content.decode()
    assert pricing.live_offer(sku_id=sku.pk).remaining == 5  # nothing was claimed


def test_configured_platform_gets_the_outbox_row_in_the_checkout_transaction(client, sku):
    Connection.objects.create(platform="postmart", base_url="https://postmart.example.vn/api", key_id="ocop", secret="bi-mat")
    cart_ready(client, sku)
    assert client.post(reverse("orders:checkout"), checkout_form(FORM)).status_code == 302
    assert OutboxEntry.objects.filter(sku_id=sku.pk, platform="postmart", reason="stock").exists()


def test_without_a_platform_no_outbox_row(client, sku):
    Connection.objects.create(platform="postmart", base_url="https://postmart.example.vn/api", key_id="ocop", secret="bi-mat",
                              enabled=False)
    cart_ready(client, sku)
    assert client.post(reverse("orders:checkout"), checkout_form(FORM)).status_code == 302
    assert not OutboxEntry.objects.exists()


def test_stock_change_reindexes_the_product_after_commit(sku, django_capture_on_commit_callbacks, monkeypatch):
    from search import tasks

    indexed = []
    monkeypatch.setattr("search.services.search_index_products", lambda *, product_ids: indexed.append(product_ids))
    with django_capture_on_commit_callbacks(execute=True):
        catalog.stock_reserve(lines=[(sku.pk, 1)])
    assert indexed == [[sku.product_id]]
    assert tasks.index_skus.apply(args=[[sku.pk + 10_000]]).get() == 0  # a SKU gone since: nothing to index
