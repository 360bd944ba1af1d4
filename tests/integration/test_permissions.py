"""Who may do what in the admin: every role against every action, through the admin's HTTP
endpoints. P1 is a producer of commune A, P2 of commune B; "A"/"B" name the target's commune."""
from __future__ import annotations

import pytest

from marketplace.catalog.models import OcopCertificate, Producer, Sku, Stock

from .admin_world import is_denied, login, module_world, page_form

ROLES = ["operator", "editor_a", "editor_b", "producer_p1", "producer_p2", "anonymous"]

# action → the roles allowed to perform it (every other role must be refused).
MATRIX = {
    "edit_p1_product_page": {"operator", "editor_a", "producer_p1"},
    "edit_p2_product_page": {"operator", "editor_b", "producer_p2"},
    "publish_p1_product_page": {"operator", "editor_a"},
    "approve_signup_a": {"operator", "editor_a"},
    "approve_signup_b": {"operator", "editor_b"},
    "edit_certificate_a": {"operator", "editor_a"},
    "edit_certificate_b": {"operator", "editor_b"},
    "print_labels_p1": {"operator", "editor_a", "producer_p1"},
    "print_labels_p2": {"operator", "editor_b", "producer_p2"},
    "edit_batch_p1": {"operator", "producer_p1"},
    "change_stock_p1": {"operator", "editor_a", "producer_p1"},
    "change_stock_p2": {"operator", "editor_b", "producer_p2"},
    "edit_producer_record_p1": {"operator", "editor_a", "producer_p1"},
    "view_expiring_report": {"operator", "editor_a", "editor_b"},
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_world(django_db_blocker)


# Each action returns True when it was carried out, False when refused (and nothing changed).


def _get_allowed(client, url: str, expect_type: str = "text/html") -> bool:
    response = client.get(url)
    if is_denied(response):
        return False
    assert response.status_code == 200, (url, response.status_code)
    assert response["Content-Type"].startswith(expect_type)
    return True


def edit_product_page(client, page) -> bool:
    return _get_allowed(client, f"/admin/pages/{page.pk}/edit/")


def publish_product_page(client, world) -> bool:
    page = world.p1_listing
    data = page_form(client, page.pk)
    if data is None:
        return False
    data["sku_rows-0-price_vnd"] = "155000"
    data["action-publish"] = "action-publish"
    response = client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 302, response.status_code
    return Sku.objects.get(pk=world.p1_sku.pk).price_vnd == 155000


def approve_signup(client, producer) -> bool:
    response = client.post(f"/admin/ocop/producers/{producer.pk}/approve/")
    approved = Producer.objects.get(pk=producer.pk).status == Producer.Status.APPROVED
    assert approved != is_denied(response), response.status_code
    return approved


def edit_certificate(client, certificate) -> bool:
    data = {"product": certificate.product_id, "stars": "5", "criteria_group": "food", "decision_number": "999/QĐ-UBND",
            "issuer": "UBND tỉnh", "issued_on": "2025-03-01"}
    response = client.post(f"/admin/ocop/certificates/edit/{certificate.pk}/", data)
    changed = OcopCertificate.objects.get(pk=certificate.pk).decision_number == "999/QĐ-UBND"
    assert changed != is_denied(response), response.status_code
    return changed


def print_labels(client, batch) -> bool:
    return _get_allowed(client, f"/admin/ocop/batches/{batch.pk}/labels.pdf", expect_type="application/pdf")


def edit_batch(client, batch) -> bool:
    return _get_allowed(client, f"/admin/ocop/batches/edit/{batch.pk}/")


def change_stock(client, sku) -> bool:
    before = Stock.objects.get(sku=sku).on_hand
    response = client.post("/admin/ocop/stock/", {f"stock-{sku.pk}": "77", f"orig-{sku.pk}": str(before)})
    changed = Stock.objects.get(sku=sku).on_hand == 77
    assert changed != is_denied(response), response.status_code
    return changed


ACTIONS = {
    "edit_p1_product_page": lambda c, w: edit_product_page(c, w.p1_listing),
    "edit_p2_product_page": lambda c, w: edit_product_page(c, w.p2_listing),
    "publish_p1_product_page": publish_product_page,
    "approve_signup_a": lambda c, w: approve_signup(c, w.pending_a),
    "approve_signup_b": lambda c, w: approve_signup(c, w.pending_b),
    "edit_certificate_a": lambda c, w: edit_certificate(c, w.p1_certificate),
    "edit_certificate_b": lambda c, w: edit_certificate(c, w.p2_certificate),
    "print_labels_p1": lambda c, w: print_labels(c, w.p1_batch),
    "print_labels_p2": lambda c, w: print_labels(c, w.p2_batch),
    "edit_batch_p1": lambda c, w: edit_batch(c, w.p1_batch),
    "change_stock_p1": lambda c, w: change_stock(c, w.p1_sku),
    "change_stock_p2": lambda c, w: change_stock(c, w.p2_sku),
    "edit_producer_record_p1": lambda c, w: _get_allowed(c, f"/admin/ocop/producers/edit/{w.p1_page.producer_id}/"),
    "view_expiring_report": lambda c, w: _get_allowed(c, "/admin/ocop/certificates/expiring/"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(MATRIX))
def test_permission_matrix(client, world, role, action):
    login(client, world.users[role])
    assert ACTIONS[action](client, world) is (role in MATRIX[action])


def test_matrix_covers_every_action():
    assert set(ACTIONS) == set(MATRIX)
