"""Many buyers race for the last units on PostgreSQL: exactly the stock is sold, never more.

Each thread has its own database connection (Django's are per thread), so the checkouts
really run concurrently against the conditional UPDATEs in `catalog.services.stock_reserve`.
"""
import threading

import pytest
from django.db import connection, connections
from django.db.models import Sum

from marketplace.catalog import services as catalog
from marketplace.catalog.models import Product, Stock
from marketplace.orders import services
from marketplace.orders.models import Checkout, Order, OrderLine
from tests import factories
from tests.factories import ProducerFactory

# serialized_rollback: the flush after a transactional test also empties what data migrations
# loaded (admin units, home page); restore it for the tests that follow.
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BUYERS, STOCK = 30, 10


@pytest.fixture
def race_sku():
    producer = ProducerFactory(commune=factories.commune("02923"))
    product = Product.objects.create(producer=producer, name="Chuối sấy Gia Phú (thử tranh mua)")
    catalog.product_publish(product=product, name=product.name, description="", category=None,
                            skus=[catalog.SkuData("RACE-TEST-1", "gói 500g", 45000, 500)])
    sku = product.skus.get()
    catalog.stock_set(sku=sku, on_hand=STOCK)
    yield sku
    Checkout.objects.filter(orders__producer=producer).delete()
    catalog.product_unpublish(product_ids=[product.pk])  # search drops it from its index
    product.delete()
    producer.delete()


def test_concurrent_buyers_never_oversell(race_sku):
    assert connection.vendor == "postgresql"
    sku = race_sku
    start = threading.Barrier(BUYERS)
    outcomes: list[str] = []
    record = threading.Lock()

    def buy(n: int) -> None:
        try:
            start.wait(timeout=60)
            services.checkout_place(
                lines=[(sku.pk, 1)],
                buyer=services.BuyerData(name=f"Người mua {n}", phone="0912345678", consent=True),
                delivery=services.DeliveryData(commune_code="02923", address_line=f"Nhà số {n}"),
                payment_method="cod",
            )
            outcome = "sold"
        except services.CheckoutError:
            outcome = "refused"
        except Exception as error:  # noqa: BLE001 - any other failure must show in the assertion
            outcome = repr(error)
        finally:
            connections.close_all()
        with record:
            outcomes.append(outcome)

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(set(outcomes)) == ["refused", "sold"], outcomes
    assert outcomes.count("sold") == STOCK and outcomes.count("refused") == BUYERS - STOCK
    stock = Stock.objects.get(sku=sku)
    assert (stock.on_hand, stock.reserved, stock.available) == (STOCK, STOCK, 0)
    assert Order.objects.filter(lines__sku=sku).count() == STOCK
    assert OrderLine.objects.filter(sku=sku).aggregate(total=Sum("quantity"))["total"] == STOCK
    # Shipping every order sells the stock out exactly: nothing negative, nothing left held.
    for order in Order.objects.filter(lines__sku=sku):
        for to in (Order.Fulfilment.CONFIRMED, Order.Fulfilment.SHIPPED):
            order = services.order_transition(order=order, field="fulfilment", to=to)
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (0, 0)
