"""The live price through the real checkout (Django test client): only inside the window, within
the total cap and the per-buyer cap; units ring-fenced on stock from the window's start and the
unsold ones returned at the end or on cancellation; attribution for the report."""
import pytest
from django.test import Client
from django.urls import reverse

from marketplace.catalog import services as catalog
from marketplace.catalog.models import Stock
from marketplace.livestreams import pricing, services
from marketplace.livestreams.models import LiveSale, OccurrenceHold
from marketplace.orders.models import OrderLine
from tests import factories
from tests.factories import checkout_form

from .conftest import close_window, open_window

pytestmark = pytest.mark.django_db

FORM = factories.CHECKOUT_FORM


def buy(client, sku, quantity=1, phone="0912 345 678"):
    client.cookies.clear()
    client.post(reverse("orders:cart-add"), {"sku": sku.pk, "quantity": quantity})
    return client.post(reverse("orders:checkout"), checkout_form(FORM, phone=phone))


def last_line(sku) -> OrderLine:
    return OrderLine.objects.filter(sku=sku).order_by("-pk").first()


def stock(sku) -> Stock:
    return Stock.objects.get(sku=sku)


def test_before_the_window_the_normal_price(client, plan, sku):
    session = plan()
    assert pricing.live_offer(sku_id=sku.pk) is None
    response = buy(client, sku)
    assert response.status_code == 302
    assert last_line(sku).unit_price_vnd == 120000
    assert not LiveSale.objects.exists()
    assert session.occurrences.get().holds.count() == 0


def test_in_the_window_the_live_price_from_the_held_units(client, plan, sku):
    occurrence = open_window(plan().occurrences.get())
    assert services.windows_tick()["held"] == 5
    assert (stock(sku).on_hand, stock(sku).reserved, stock(sku).available) == (20, 5, 15)  # ring-fenced
    cart = client.get(reverse("orders:cart"))
    assert buy(client, sku, 2).status_code == 302
    line = last_line(sku)
    assert (line.unit_price_vnd, line.quantity) == (99000, 2)
    assert line.order.subtotal_vnd == 198000
    hold = OccurrenceHold.objects.get(occurrence=occurrence)
    assert (hold.held, hold.sold) == (5, 2)
    assert (stock(sku).reserved, stock(sku).available) == (5, 15)  # the units came out of the hold, not free stock
    sale = LiveSale.objects.get()
    assert (sale.occurrence_id, sale.quantity, sale.unit_price_vnd, sale.at_live_price) == (occurrence.pk, 2, 99000, True)
    assert cart.status_code == 200


def test_cart_shows_the_live_price(client, plan, sku):
    open_window(plan().occurrences.get())
    client.post(reverse("orders:cart-add"), {"sku": sku.pk, "quantity": 1})
    assert "99.000 ₫" in client.get(reverse("orders:cart")).content.decode()


def test_the_hold_is_placed_by_checkout_when_beat_is_late(client, plan, sku):
    occurrence = open_window(plan().occurrences.get())
    assert buy(client, sku, 1).status_code == 302
    assert OccurrenceHold.objects.get(occurrence=occurrence).held == 5
    assert last_line(sku).unit_price_vnd == 99000


def test_per_buyer_cap(client, plan, sku):
    open_window(plan().occurrences.get())
    assert buy(client, sku, 2).status_code == 302
    response = buy(client, sku, 1, phone="+84 912 345 678")  # the same number written differently
    assert response.status_code == 400
    assert "giới hạn 2 sản phẩm mỗi người mua; số điện thoại này đã mua 2" in response.content.decode()
    assert buy(client, sku, 2, phone="0987 654 321").status_code == 302


def test_total_cap_then_the_normal_price(client, plan, sku):
    occurrence = open_window(plan().occurrences.get())
    assert buy(client, sku, 2, phone="0912 000 001").status_code == 302
    late = Client()  # puts 2 in the cart while 3 live units are left...
    late.post(reverse("orders:cart-add"), {"sku": sku.pk, "quantity": 2})
    assert buy(client, sku, 2, phone="0912 000 002").status_code == 302  # ...then someone else takes 2
    response = late.post(reverse("orders:checkout"), checkout_form(FORM, phone="0912 000 003"))
    assert response.status_code == 400 and "Chỉ còn 1 suất giá live" in response.content.decode()
    response = client.post(reverse("orders:cart-add"), {"sku": sku.pk, "quantity": 2})  # the cart itself says so
    assert response.status_code == 400 and "chỉ còn 1" in response.content.decode()
    assert buy(client, sku, 1, phone="0912 000 003").status_code == 302
    assert OccurrenceHold.objects.get(occurrence=occurrence).sold == 5
    assert pricing.live_offer(sku_id=sku.pk) is None  # the live units are gone: normal price again
    assert buy(client, sku, 3, phone="0912 000 004").status_code == 302
    assert last_line(sku).unit_price_vnd == 120000
    # Featured and bought in the window: attributed, though at the normal price.
    assert LiveSale.objects.filter(at_live_price=False, featured=True).count() == 1
    assert (stock(sku).reserved, stock(sku).available) == (5 + 3, 12)


def test_unsold_units_return_at_the_end_and_after_it_the_normal_price(client, plan, sku):
    occurrence = open_window(plan().occurrences.get())
    services.windows_tick()
    assert buy(client, sku, 2).status_code == 302
    close_window(occurrence)
    counts = services.windows_tick()
    assert counts["returned"] == 3 and counts["ended"] == 1
    assert services.windows_tick()["returned"] == 0  # idempotent
    assert (stock(sku).on_hand, stock(sku).reserved) == (20, 2)  # only the order's units stay held
    occurrence.refresh_from_db()
    assert occurrence.status == "ended" and occurrence.session.state == "ended"
    assert buy(client, sku, 1, phone="0987 000 111").status_code == 302
    assert last_line(sku).unit_price_vnd == 120000


def test_cancelling_during_the_window_returns_the_units(plan, sku):
    occurrence = open_window(plan().occurrences.get())
    services.windows_tick()
    assert stock(sku).reserved == 5
    services.occurrence_cancel(occurrence=occurrence, reason="Mất điện", by=None)
    assert stock(sku).reserved == 0
    assert pricing.live_offer(sku_id=sku.pk) is None
    services.occurrence_cancel(occurrence=occurrence, by=None)  # again: nothing more given back
    assert stock(sku).reserved == 0


def test_hold_is_capped_by_what_is_available(plan, sku):
    occurrence = open_window(plan().occurrences.get())
    catalog.stock_set(sku=sku, on_hand=3)  # sold elsewhere since the session was planned
    services.windows_tick()
    assert OccurrenceHold.objects.get(occurrence=occurrence).held == 3
    assert (stock(sku).reserved, stock(sku).available) == (3, 0)
    assert pricing.live_offer(sku_id=sku.pk).remaining == 3


def test_link_attribution(client, plan, sku, make_listing):
    occurrence = plan().occurrences.get()
    other = make_listing(price_vnd=50000, stock=5).product.skus.get()
    client.get(reverse("livestreams:link", args=[occurrence.pk]))
    client.post(reverse("orders:cart-add"), {"sku": other.pk, "quantity": 1})
    assert client.post(reverse("orders:checkout"), checkout_form(FORM)).status_code == 302
    sale = LiveSale.objects.get()
    assert (sale.occurrence_id, sale.sku_id, sale.via_link, sale.featured) == (occurrence.pk, other.pk, True, False)
