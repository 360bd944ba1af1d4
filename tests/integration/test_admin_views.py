"""The OCOP admin end to end through HTTP: sign-up decisions, moderation through the Wagtail
workflow, stock counts, QR label sheets, the expiring report and the scoped snippet views."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.http import HttpRequest
from wagtail.models import Page

from cms import labels
from cms.models import ProducerPage, ProductPage
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Batch, OcopCertificate, Producer, Sku, Stock
from tests import factories

from .admin_world import PASSWORD, is_denied, login, module_world, page_form

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_world(django_db_blocker)


def _csv(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", pdf))


# Sign-ups ---------------------------------------------------------------------------------


def test_approved_signup_gets_a_page_and_its_user_edits_only_that_subtree(client, world):
    login(client, world.users["editor_a"])
    listing = client.get("/admin/ocop/producers/?status=pending")
    assert world.pending_a.name in listing.content.decode()
    assert world.pending_b.name not in listing.content.decode()
    response = client.post(f"/admin/ocop/producers/{world.pending_a.pk}/approve/")
    assert response.status_code == 302 and response["Location"] == "/admin/ocop/producers/"

    producer = Producer.objects.get(pk=world.pending_a.pk)
    assert producer.status == Producer.Status.APPROVED
    page = ProducerPage.objects.get(producer=producer)
    assert page.live and page.get_parent().specific.admin_unit_id == producer.commune_id

    client.logout()
    assert client.login(request=HttpRequest(), username="nsx.moi.a", password=PASSWORD)  # axes needs a request
    assert client.get("/admin/").status_code == 200
    assert client.get(f"/admin/pages/{page.pk}/edit/").status_code == 200
    assert client.get(f"/admin/pages/add/cms/productpage/{page.pk}/").status_code == 200
    assert is_denied(client.get(f"/admin/pages/{world.p1_page.pk}/edit/"))
    assert is_denied(client.get(f"/admin/pages/{world.p1_listing.pk}/edit/"))
    assert is_denied(client.get(f"/admin/pages/{page.get_parent().pk}/edit/"))


def test_rejected_signup_keeps_the_record_and_the_reason(client, world):
    login(client, world.users["editor_b"])
    empty = client.post(f"/admin/ocop/producers/{world.pending_b.pk}/reject/", {"reason": "  "})
    assert empty.status_code == 200 and Producer.objects.get(pk=world.pending_b.pk).status == Producer.Status.PENDING

    response = client.post(f"/admin/ocop/producers/{world.pending_b.pk}/reject/", {"reason": "Thiếu giấy đăng ký kinh doanh"})
    assert response.status_code == 302
    producer = Producer.objects.get(pk=world.pending_b.pk)
    assert (producer.status, producer.rejection_reason) == (Producer.Status.REJECTED, "Thiếu giấy đăng ký kinh doanh")
    assert not ProducerPage.objects.filter(producer=producer).exists()


def test_producer_edits_own_record_but_not_its_status_or_commune(client, world):
    login(client, world.users["producer_p1"])
    producer = Producer.objects.get(pk=world.p1_page.producer_id)  # a copy: the world is shared by the module
    form = client.get(f"/admin/ocop/producers/edit/{producer.pk}/").content.decode()
    assert 'name="status"' not in form and 'name="commune"' not in form
    response = client.post(f"/admin/ocop/producers/edit/{producer.pk}/", {
        "name": "HTX Chuối Gia Phú mới", "kind": "cooperative", "phone": "0912345678", "tax_code": "",
        "address": "Thôn 3", "latitude": "22.35", "longitude": "104.05", "story": "",
        "status": "rejected", "commune": world.p2_page.producer.commune_id,
    })
    assert response.status_code == 302
    producer.refresh_from_db()
    assert producer.name == "HTX Chuối Gia Phú mới"
    assert producer.status == Producer.Status.APPROVED and producer.commune_id != world.p2_page.producer.commune_id
    assert is_denied(client.get(f"/admin/ocop/producers/edit/{world.p2_page.producer_id}/"))


# Moderation -------------------------------------------------------------------------------


def test_producer_change_goes_live_only_after_the_commune_editor_approves(client, world):
    page, sku = world.p1_listing, world.p1_sku
    login(client, world.users["producer_p1"])
    data = page_form(client, page.pk)
    data["sku_rows-0-price_vnd"] = "135000"
    data["action-submit"] = "action-submit"
    assert client.post(f"/admin/pages/{page.pk}/edit/", data).status_code == 302

    page = ProductPage.objects.get(pk=page.pk)
    assert page.workflow_in_progress and page.has_unpublished_changes
    assert Sku.objects.get(pk=sku.pk).price_vnd == 100000  # not live before approval
    task_state = page.current_workflow_task_state
    approve_url = f"/admin/pages/workflow/action/{page.pk}/approve/{task_state.pk}/"

    for outsider in ("editor_b", "producer_p1"):
        client.logout()
        login(client, world.users[outsider])
        client.post(approve_url, {"comment": ""})
        assert Sku.objects.get(pk=sku.pk).price_vnd == 100000

    client.logout()
    login(client, world.users["editor_a"])
    assert client.post(approve_url, {"comment": "Đồng ý"}).status_code == 302
    assert Sku.objects.get(pk=sku.pk).price_vnd == 135000
    assert not ProductPage.objects.get(pk=page.pk).workflow_in_progress


def test_producer_cannot_move_its_page_to_another_producer(client, world):
    login(client, world.users["producer_p1"])
    page = world.p1_page
    data = page_form(client, page.pk)
    data["producer"] = str(world.pending_b.pk)
    response = client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 302
    assert Page.objects.get(pk=page.pk).specific.producer_id == world.p1_page.producer_id
    assert ProducerPage.objects.get(pk=page.pk).get_latest_revision_as_object().producer_id == world.p1_page.producer_id


# Stock ------------------------------------------------------------------------------------


def test_stock_view_updates_good_rows_and_explains_bad_ones(client, world):
    listing = factories.listing(producer_page=world.p1_page, stock=10, skus=[
        catalog.SkuData("GP-T-101", "hộp 250g", 50000), catalog.SkuData("GP-T-102", "hộp 500g", 90000),
        catalog.SkuData("GP-T-103", "hộp 1kg", 160000),
    ])
    good, bad, held = listing.product.skus.order_by("code")
    Stock.objects.filter(sku=held).update(reserved=6)
    login(client, world.users["producer_p1"])
    page = client.get("/admin/ocop/stock/").content.decode()
    assert all(f'name="stock-{s.pk}"' in page for s in (good, bad, held))
    assert f'name="stock-{world.p2_sku.pk}"' not in page

    response = client.post("/admin/ocop/stock/", {
        f"stock-{good.pk}": "25", f"orig-{good.pk}": "10",
        f"stock-{bad.pk}": "-3", f"orig-{bad.pk}": "10",
        f"stock-{held.pk}": "4", f"orig-{held.pk}": "10",
    })
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nhập số nguyên không âm" in body and "Không thể thấp hơn 6 đang giữ" in body
    assert 'value="-3"' in body  # the user's input is kept for correction
    assert [Stock.objects.get(sku=s).on_hand for s in (good, bad, held)] == [25, 10, 10]


def test_stock_rows_left_untouched_do_not_overwrite_a_concurrent_change(client, world):
    sku = world.p1_sku
    login(client, world.users["producer_p1"])
    catalog.stock_adjust(sku_id=sku.pk, delta=-4)  # an order taken while the form was open
    response = client.post("/admin/ocop/stock/", {f"stock-{sku.pk}": "10", f"orig-{sku.pk}": "10"})
    assert response.status_code == 302
    assert Stock.objects.get(sku=sku).on_hand == 6


def test_stock_post_naming_another_producers_sku_changes_nothing(client, world):
    login(client, world.users["producer_p1"])
    response = client.post("/admin/ocop/stock/", {
        f"stock-{world.p1_sku.pk}": "50", f"orig-{world.p1_sku.pk}": "10",
        f"stock-{world.p2_sku.pk}": "50", f"orig-{world.p2_sku.pk}": "10",
    })
    assert is_denied(response)
    assert Stock.objects.get(sku=world.p1_sku).on_hand == 10 and Stock.objects.get(sku=world.p2_sku).on_hand == 10


# Labels -----------------------------------------------------------------------------------


def test_labels_pdf_has_one_page_per_24_labels(client, world):
    login(client, world.users["producer_p1"])
    url = f"/admin/ocop/batches/{world.p1_batch.pk}/labels.pdf"
    one = client.get(url)
    assert one["Content-Type"] == "application/pdf" and one.content.startswith(b"%PDF")
    assert _pdf_pages(one.content) == 1
    assert _pdf_pages(client.get(url, {"count": "30"}).content) == 2
    assert _pdf_pages(client.get(url, {"count": "48"}).content) == 2
    assert _pdf_pages(client.get(url, {"count": "49"}).content) == 3


def test_labels_svg_carries_the_absolute_traceability_url_and_the_text(client, world):
    login(client, world.users["producer_p1"])
    response = client.get(f"/admin/ocop/batches/{world.p1_batch.pk}/labels.svg")
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = response.content.decode()
    url = f"{settings.SITE_BASE_URL.rstrip('/')}/t/{world.p1_batch.code}/"
    assert url in svg and svg.count("<g transform") == labels.PER_SHEET
    assert world.p1_batch.lot_code in svg and "Chuối" in svg


def test_labels_pdf_without_a_vietnamese_font_prints_plain_letters(monkeypatch):
    monkeypatch.setattr(labels, "_pdf_fonts", lambda: ("Helvetica", "Helvetica-Bold", False))
    label = labels.Label(url="https://cho-ocop.example/t/abc/", product="Mật ong bạc hà Đồng Văn", lot_code="L-01",
                         produced_on=dt.date(2025, 8, 1), best_before=None, producer="HTX Đồng Văn", code="abc")
    pdf = labels.labels_pdf([label] * 25)
    assert pdf.startswith(b"%PDF") and _pdf_pages(pdf) == 2
    assert labels.strip_diacritics("Mật ong Đồng Văn") == "Mat ong Dong Van"


# Certificates -----------------------------------------------------------------------------


def test_certificate_saved_in_the_admin_gets_its_expiry_and_completeness(client, world):
    login(client, world.users["editor_a"])
    response = client.post("/admin/ocop/certificates/add/", {
        "product": world.p1_listing.product_id, "stars": "3", "criteria_group": "food",
        "decision_number": "", "issuer": "", "issued_on": "",
    })
    assert response.status_code == 302
    partial = OcopCertificate.objects.filter(product_id=world.p1_listing.product_id).latest("pk")
    assert partial.needs_completion and partial.expires_on is None

    form = client.get(f"/admin/ocop/certificates/edit/{partial.pk}/").content.decode()
    assert f'value="{world.p2_listing.product_id}"' not in form  # other communes' products are not offered
    client.post(f"/admin/ocop/certificates/edit/{partial.pk}/", {
        "product": world.p1_listing.product_id, "stars": "4", "criteria_group": "food",
        "decision_number": "12/QĐ-UBND", "issuer": "UBND tỉnh Lào Cai", "issued_on": "2024-02-29",
    })
    partial.refresh_from_db()
    assert (partial.stars, partial.expires_on, partial.needs_completion) == (4, dt.date(2027, 2, 28), False)

    stolen = client.post("/admin/ocop/certificates/add/", {"product": world.p2_listing.product_id, "stars": "5"})
    assert stolen.status_code == 200
    assert not OcopCertificate.objects.filter(product_id=world.p2_listing.product_id, stars=5).exists()


def test_expiring_report_lists_soon_expired_and_incomplete_within_scope(client, world, settings):
    settings.OCOP_EXPIRY_WARNING_DAYS = 60
    today = dt.date.today()
    soon = OcopCertificate.objects.get(pk=world.p1_certificate.pk)
    soon.issued_on = today - relativedelta(months=36) + dt.timedelta(days=20)
    catalog.certificate_save(certificate=soon)
    expired = catalog.certificate_save(certificate=OcopCertificate(
        product=world.p1_listing.product, stars=3, decision_number="1/QĐ", issuer="UBND",
        issued_on=today - dt.timedelta(days=4 * 365)))
    incomplete = catalog.certificate_save(certificate=OcopCertificate(product=world.p2_listing.product, stars=4))

    login(client, world.users["operator"])
    body = client.get("/admin/ocop/certificates/expiring/").content.decode()
    assert "Đã hết hạn" in body and "Còn " in body and "Cần bổ sung" in body
    export = _csv(client.get("/admin/ocop/certificates/expiring/", {"export": "csv"}))
    assert export.count("\n") == 4  # heading + soon + expired + incomplete; the fresh B certificate is not due

    client.logout()
    login(client, world.users["editor_b"])
    export_b = _csv(client.get("/admin/ocop/certificates/expiring/", {"export": "csv"}))
    assert export_b.count("\n") == 2 and world.p2_listing.product.name in export_b
    assert expired.pk and incomplete.pk


# Batches and the scoped snippet views -----------------------------------------------------


def test_producer_creates_batches_only_for_its_own_products(client, world):
    login(client, world.users["producer_p1"])
    form = client.get("/admin/ocop/batches/add/").content.decode()
    assert f'value="{world.p1_listing.product_id}"' in form and f'value="{world.p2_listing.product_id}"' not in form
    data = {"lot_code": "L-NEW", "produced_on": "2025-09-01", "best_before": "2026-03-01", "gtin": "",
            "growing_area_code": "", "inputs": "", "certifications": ""}
    refused = client.post("/admin/ocop/batches/add/", {**data, "product": world.p2_listing.product_id})
    assert refused.status_code == 200 and not Batch.objects.filter(lot_code="L-NEW").exists()
    assert client.post("/admin/ocop/batches/add/", {**data, "product": world.p1_listing.product_id}).status_code == 302
    assert Batch.objects.get(lot_code="L-NEW").product_id == world.p1_listing.product_id


def test_batch_list_links_the_traceability_page_and_the_label_sheet(client, world):
    login(client, world.users["producer_p1"])
    body = client.get("/admin/ocop/batches/").content.decode()
    assert f"/t/{world.p1_batch.code}/" in body and f"/admin/ocop/batches/{world.p1_batch.pk}/labels.pdf" in body
    assert world.p2_batch.lot_code not in body


@pytest.mark.parametrize("role", ["operator", "editor_a", "producer_p1"])
def test_every_ocop_admin_screen_renders_for_those_who_may_use_it(client, world, role):
    login(client, world.users[role])
    producer, batch = world.p1_page.producer, world.p1_batch
    urls = ["/admin/", "/admin/ocop/producers/", f"/admin/ocop/producers/inspect/{producer.pk}/",
            f"/admin/ocop/producers/history/{producer.pk}/", "/admin/ocop/batches/", f"/admin/ocop/batches/inspect/{batch.pk}/",
            "/admin/ocop/stock/"]
    if role != "producer_p1":
        urls += ["/admin/ocop/certificates/", "/admin/ocop/certificates/add/", "/admin/ocop/certificates/expiring/",
                 f"/admin/ocop/producers/{world.pending_a.pk}/approve/", f"/admin/ocop/producers/{world.pending_a.pk}/reject/"]
    else:
        urls += ["/admin/ocop/batches/add/", f"/admin/ocop/batches/edit/{batch.pk}/"]
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_menu_shows_each_user_only_the_views_they_may_use(client, world):
    stock, expiring, certificates = "/admin/ocop/stock/", "/admin/ocop/certificates/expiring/", "/admin/ocop/certificates/"
    producers, batches = "/admin/ocop/producers/", "/admin/ocop/batches/"
    expected = {
        "operator": {stock, expiring, certificates, batches, producers},
        "editor_a": {stock, expiring, certificates, batches, producers},
        "producer_p1": {stock, batches, producers},
    }
    hidden = {"producer_p1": {expiring, certificates}}
    for role, urls in expected.items():
        client.logout()
        login(client, world.users[role])
        body = client.get("/admin/").content.decode()
        assert all(f'"{url}"' in body for url in urls), role
        assert not any(f'"{url}"' in body for url in hidden.get(role, ())), role


def test_dashboard_lists_the_work_waiting_for_each_role(client, world):
    Stock.objects.filter(sku=world.p1_sku).update(on_hand=2)
    login(client, world.users["editor_a"])
    body = client.get("/admin/").content.decode()
    assert "1</strong> hồ sơ đăng ký chờ duyệt" in body and "/admin/ocop/producers/?status=pending" in body
    assert "SKU sắp hết hàng" in body  # the editor helps the commune's producers keep stock right
    client.logout()
    login(client, world.users["producer_p2"])
    body = client.get("/admin/").content.decode()
    assert "chờ duyệt" not in body and "SKU sắp hết hàng" not in body
    client.logout()
    login(client, world.users["producer_p1"])
    assert "1</strong> SKU sắp hết hàng" in client.get("/admin/").content.decode()


def test_producer_chooser_offers_only_producers_in_scope(client, world):
    login(client, world.users["producer_p1"])
    html = client.get("/admin/snippets/choose/catalog/producer/").json()["html"]
    assert world.p1_page.producer.name in html
    assert world.p2_page.producer.name not in html and world.pending_a.name not in html
    client.logout()
    login(client, world.users["editor_a"])
    html = client.get("/admin/snippets/choose/catalog/producer/").json()["html"]
    assert world.p1_page.producer.name in html
    # A pending sign-up is decided in the producers list, never linked to a page through the chooser.
    assert world.pending_a.name not in html and world.p2_page.producer.name not in html
