"""The connectors in the admin: a product's platforms with opt-out, sync health, coverage per
commune and connections — each limited to what the user may see."""
from __future__ import annotations

import pytest

from connectors.models import Binding, Connection, PlatformOptOut, SyncState
from tests.integration.admin_world import is_denied, login, module_world

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_world(django_db_blocker)


@pytest.fixture
def synced(world, platforms):
    platforms.sync()
    return world


def _product_url(listing) -> str:
    return f"/admin/connectors/products/{listing.product_id}/"


def test_a_producer_sees_where_its_product_is_listed_and_can_opt_out(client, synced, platforms):
    login(client, synced.users["producer_p1"])
    response = client.get(_product_url(synced.p1_listing))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Đang chờ PostMart duyệt" in html and "GP-T-001" in html
    assert is_denied(client.get(_product_url(synced.p2_listing)))  # not its product

    response = client.post(_product_url(synced.p1_listing), {"platform": "voso", "enabled": "0"})
    assert response.status_code == 302
    assert PlatformOptOut.objects.filter(product=synced.p1_listing.product, platform="voso").exists()
    platforms.sync()
    assert platforms.voso.item_by_outer_id("GP-T-001")["status"] == "delisted"
    assert "Không bán trên Voso (đã tắt)" in client.get(_product_url(synced.p1_listing)).content.decode()


def test_the_product_page_links_to_its_platforms(client, synced):
    login(client, synced.users["producer_p1"])
    html = client.get(f"/admin/pages/{synced.p1_listing.pk}/edit/").content.decode()
    assert _product_url(synced.p1_listing) in html
    html = client.get(f"/admin/pages/{synced.p1_page.pk}/").content.decode()
    assert _product_url(synced.p1_listing) in html


def test_health_and_coverage_for_editors_and_operators(client, synced, platforms):
    Binding.objects.filter(sku=synced.p2_sku, platform="postmart").update(
        sync_state=SyncState.FAILED, error_final=True, last_error="PostMart: name: quá dài")
    login(client, synced.users["operator"])
    html = client.get("/admin/connectors/health/").content.decode()
    assert "PostMart" in html and "name: quá dài" in html and "37nghean (02923)" in html
    Binding.objects.update(remote_status="live")
    html = client.get("/admin/connectors/coverage/").content.decode()
    assert "1/1" in html and "02923" in html and "09784" in html

    login(client, synced.users["editor_a"])
    html = client.get("/admin/connectors/health/").content.decode()
    assert "name: quá dài" not in html  # commune B's product
    html = client.get("/admin/connectors/coverage/").content.decode()
    assert "02923" in html and "09784" not in html
    login(client, synced.users["producer_p1"])
    assert is_denied(client.get("/admin/connectors/health/"))


def test_connections_mask_secrets_and_editors_set_their_communes_key(client, synced, platforms, settings):
    login(client, synced.users["operator"])
    html = client.get("/admin/connectors/connections/").content.decode()
    assert "biến môi trường" in html
    assert platforms.postmart.client_secret not in html and "••••" in html

    settings.CONNECTOR_NGHEAN37 = {**settings.CONNECTOR_NGHEAN37, "api_keys": ""}  # the key now comes from the admin
    login(client, synced.users["editor_b"])
    response = client.post("/admin/connectors/connections/", {"platform": "nghean37", "account": "09784",
                                                              "secret": "khoa-bi-mat-xa-b-1234", "enabled": "on"})
    assert response.status_code == 302
    assert Connection.objects.get(platform="nghean37", account="09784").secret == "khoa-bi-mat-xa-b-1234"
    html = client.get("/admin/connectors/connections/").content.decode()
    assert "khoa-bi-mat-xa-b-1234" not in html and "••••1234" in html
    response = client.post("/admin/connectors/connections/", {"platform": "nghean37", "account": "02923", "secret": "x" * 10})
    assert is_denied(response)  # another commune's key
    response = client.post("/admin/connectors/connections/", {"platform": "postmart", "account": "", "secret": "y" * 10})
    assert is_denied(response)
