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


# -- A SKU code belongs to one producer, always ----------------------------------------------


@pytest.fixture
def stale_revision_world(make_listing, commune):
    """Producer A's page has a revision naming SHARED-1, waiting for approval since before
    producer B published SHARED-1 (so the form's check at A's edit found nothing)."""
    from cms.models import CommunePage, ProductPage
    from tests import factories

    page_a = make_listing(name="Miến dong A", skus=[catalog.SkuData("A-1", "gói 500g", 50000, 500)], stock=5)
    draft = page_a.get_latest_revision_as_object()
    draft.sku_rows.add(*[type(draft.sku_rows.first())(code="SHARED-1", unit="gói 1kg", price_vnd=90000)])
    stale = draft.save_revision()
    page_b = make_listing(producer_page=factories.producer_page(commune=commune, name="HTX B"), name="Miến dong B",
                          skus=[catalog.SkuData("SHARED-1", "gói 1kg", 99000, 1000)], stock=7)
    catalog.stock_reserve(lines=[(Sku.objects.get(code="SHARED-1").pk, 2)])
    editor = factories.UserFactory(username="bientap.thu")
    services.editor_assign(user=editor, commune_page=CommunePage.objects.get(admin_unit=commune))
    page_a = ProductPage.objects.get(pk=page_a.pk)
    return page_a, page_b, stale, editor


def _state(page_a, page_b) -> dict:
    from cms.models import ProductPage

    page_a = ProductPage.objects.get(pk=page_a.pk)
    return {
        "a_live_revision": page_a.live_revision_id, "a_last_published": page_a.last_published_at,
        "skus": list(Sku.objects.order_by("code").values_list("code", "product_id", "price_vnd", "is_active")),
        "stock": list(Stock.objects.order_by("sku__code").values_list("sku__code", "on_hand", "reserved")),
    }


def test_the_catalogue_refuses_a_publish_that_takes_another_producers_sku(stale_revision_world):
    page_a, page_b, _stale, _editor = stale_revision_world
    before = _state(page_a, page_b)
    with pytest.raises(catalog.SkuTaken) as refused:
        catalog.product_publish(product=page_a.product, name="Miến dong A", description="", category=None,
                                skus=[catalog.SkuData("A-1", "gói 500g", 50000, 500), catalog.SkuData("SHARED-1", "gói", 1, None)])
    assert [sku.code for sku in refused.value.taken] == ["SHARED-1"]
    assert _state(page_a, page_b) == before


def test_publishing_a_stale_revision_that_names_another_producers_sku_changes_nothing(stale_revision_world):
    page_a, page_b, stale, _editor = stale_revision_world
    before = _state(page_a, page_b)
    with pytest.raises(services.ListingPublishRefused) as refused:
        stale.publish()
    assert 'SHARED-1 thuộc "Miến dong B" của "HTX B"' in refused.value.message
    assert _state(page_a, page_b) == before
    assert Sku.objects.get(code="SHARED-1").product == page_b.product
    assert Stock.objects.get(sku__code="SHARED-1").reserved == 2


def test_approving_a_stale_revision_in_the_workflow_is_refused_with_a_message_to_the_editor(stale_revision_world, client):
    from django.contrib.messages import get_messages
    from django.urls import reverse

    from cms.models import ProductPage

    page_a, page_b, stale, editor = stale_revision_world
    workflow_state = page_a.get_workflow().start(page_a, editor)
    task_state = workflow_state.current_task_state
    before = _state(page_a, page_b)
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:workflow_action", args=[page_a.pk, "approve", task_state.pk])

    response = client.post(url)

    assert response.status_code == 302 and response.url == reverse("wagtailadmin_pages:edit", args=[page_a.pk])
    message = [str(m) for m in get_messages(response.wsgi_request)][-1]
    assert message.startswith('Không xuất bản "Miến dong A": mã SKU đã thuộc sản phẩm khác (SHARED-1 thuộc "Miến dong B"')
    assert _state(page_a, page_b) == before
    task_state.refresh_from_db()
    assert task_state.status == "in_progress"  # still waiting for a decision: not approved
    assert ProductPage.objects.get(pk=page_a.pk).workflow_in_progress
    ajax = client.post(url, headers={"x-requested-with": "XMLHttpRequest"})
    assert ajax.json()["redirect"] == reverse("wagtailadmin_pages:edit", args=[page_a.pk])
    assert _state(page_a, page_b) == before
