import pytest

from cms import services
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Sku, Stock

pytestmark = pytest.mark.django_db


def test_publishing_copies_skus_into_the_catalogue_and_keeps_stock(make_listing):
    page = make_listing(skus=[catalog.SkuData("GP-X-1", "gói 500g", 50000, 500)], stock=12)
    first_revision = page.get_latest_revision()
    page = services.listing_update(page=page, name="Miến dong Gia Phú", category=None, skus=[
        catalog.SkuData("GP-X-1", "gói 500g", 55000, 500), catalog.SkuData("GP-X-2", "gói 1kg", 100000, 1000)])
    assert list(Sku.objects.filter(product=page.product).values_list("code", "price_vnd", "is_active")) == [
        ("GP-X-1", 55000, True), ("GP-X-2", 100000, True)]
    assert Stock.objects.get(sku__code="GP-X-1").on_hand == 12
    assert Stock.objects.get(sku__code="GP-X-2").on_hand == 0

    catalog.stock_set(sku=Sku.objects.get(code="GP-X-1"), on_hand=30)
    first_revision.publish()  # an old revision: old price, one SKU

    sku = Sku.objects.get(code="GP-X-1")
    assert sku.price_vnd == 50000
    assert Stock.objects.get(sku=sku).on_hand == 30  # stock is not page content
    assert not Sku.objects.get(code="GP-X-2").is_active  # kept for orders, no longer sold


def test_unpublishing_a_listing_delists_the_product(make_listing, client):
    page = make_listing()
    assert client.get("/api/v1/products/").json()["count"] == 1
    page.unpublish()
    page.product.refresh_from_db()
    assert not page.product.is_published
    assert client.get("/api/v1/products/").json()["count"] == 0
    assert client.get(page.url).status_code == 404
