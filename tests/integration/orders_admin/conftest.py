"""The admin world (two producers in two communes, their editors, an operator) with orders
placed through the real checkout service."""
import pytest

from marketplace.orders import services
from marketplace.orders.models import Order, PaymentMethod

from ..admin_world import module_world

BUYER = services.BuyerData(name="Trần Văn Bình", phone="0987 654 321", email="binh@example.vn", consent=True)
HOME = services.DeliveryData(commune_code="02923", address_line="Thôn Cóc 2, nhà số 14")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_world(django_db_blocker)


@pytest.fixture
def emails(world):
    """Producer users with e-mail addresses (two for the first producer)."""
    from tests.factories import UserFactory

    users = world.users
    users["producer_p1"].email, users["producer_p2"].email = "nsx.p1@example.vn", "nsx.p2@example.vn"
    users["producer_p1"].save(update_fields=["email"])
    users["producer_p2"].save(update_fields=["email"])
    second = UserFactory(username="nsx.p1.ketoan", email="ketoan.p1@example.vn")
    world.p1_page.producer.users.add(second)
    return {"p1": {"nsx.p1@example.vn", "ketoan.p1@example.vn"}, "p2": {"nsx.p2@example.vn"}}


@pytest.fixture
def place(world):
    """Place a checkout of one unit of each producer's SKU; returns {"p1": order, "p2": order}."""
    def make(method: str = PaymentMethod.COD, buyer=BUYER, quantity: int = 1):
        checkout = services.checkout_place(lines=[(world.p1_sku.pk, quantity), (world.p2_sku.pk, quantity)], buyer=buyer,
                                           delivery=HOME, payment_method=method)
        orders = {order.producer_id: order for order in Order.objects.filter(checkout=checkout)}
        return {"p1": orders[world.p1_page.producer_id], "p2": orders[world.p2_page.producer_id], "checkout": checkout}

    return make
