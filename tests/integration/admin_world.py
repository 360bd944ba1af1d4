"""A small world for the admin tests: two communes, a producer in each, their editors, listings,
certificates, batches and one pending sign-up per commune — built through the real services.

`module_world` builds it once per test module inside a transaction that is rolled back at the
end; each test still runs in its own savepoint (pytest-django's `db`), so tests may change it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from django.db import transaction
from wagtail.test.utils.form_data import querydict_from_html

from cms import services
from cms.models import CommunePage, ProducerPage, ProductPage
from marketplace.catalog.models import Batch, OcopCertificate, Producer, Sku
from marketplace.catalog.services import SkuData
from tests import factories

PASSWORD = "mat-khau-an-toan-123"
COMMUNE_A, COMMUNE_B = "02923", "09784"  # Xã Gia Phú (Lào Cai), Xã Đan Phượng (Hà Nội)


@dataclasses.dataclass
class World:
    users: dict
    p1_page: ProducerPage
    p2_page: ProducerPage
    p1_listing: ProductPage
    p2_listing: ProductPage
    p1_sku: Sku
    p2_sku: Sku
    p1_certificate: OcopCertificate
    p2_certificate: OcopCertificate
    p1_batch: Batch
    p2_batch: Batch
    pending_a: Producer
    pending_b: Producer


def _user(username: str, **kwargs):
    return factories.UserFactory(username=username, **kwargs)


def _producer_with_user(commune, username: str, name: str) -> tuple[ProducerPage, object]:
    page = factories.producer_page(commune=commune, name=name)
    user = _user(username)
    page.producer.users.add(user)
    services.producer_page_setup(producer_page=page)
    return page, user


def _listing(producer_page, code: str, lot: str):
    page = factories.listing(producer_page=producer_page, skus=[SkuData(code, "túi 1kg", 100000, 1000)], stock=10)
    product = page.product
    batch = Batch.objects.create(product=product, lot_code=lot, produced_on=dt.date.today() - dt.timedelta(days=3),
                                 best_before=dt.date.today() + dt.timedelta(days=180))
    return page, product.skus.get(), product.certificates.get(), batch


def build_world() -> World:
    services.roles_setup()
    commune_a, commune_b = factories.commune(COMMUNE_A), factories.commune(COMMUNE_B)
    p1_page, p1_user = _producer_with_user(commune_a, "nsx.p1", "HTX Chuối Gia Phú thử")
    p2_page, p2_user = _producer_with_user(commune_b, "nsx.p2", "HTX Sen Đan Phượng thử")
    editor_a, editor_b = _user("bientap.a"), _user("bientap.b")
    services.editor_assign(user=editor_a, commune_page=CommunePage.objects.get(admin_unit=commune_a))
    services.editor_assign(user=editor_b, commune_page=CommunePage.objects.get(admin_unit=commune_b))
    operator = _user("vanhanh", is_superuser=True, is_staff=True)
    p1_listing, p1_sku, p1_certificate, p1_batch = _listing(p1_page, "GP-T-001", "L-A1")
    p2_listing, p2_sku, p2_certificate, p2_batch = _listing(p2_page, "DP-T-001", "L-B1")
    pending_a = factories.ProducerFactory(commune=commune_a, status=Producer.Status.PENDING, name="Hộ Măng rừng chờ duyệt")
    pending_a.users.add(_user("nsx.moi.a"))
    pending_b = factories.ProducerFactory(commune=commune_b, status=Producer.Status.PENDING, name="Hộ Sen chờ duyệt")
    pending_b.users.add(_user("nsx.moi.b"))
    users = {"operator": operator, "editor_a": editor_a, "editor_b": editor_b, "producer_p1": p1_user,
             "producer_p2": p2_user, "anonymous": None}
    return World(users, p1_page, p2_page, p1_listing, p2_listing, p1_sku, p2_sku, p1_certificate, p2_certificate,
                 p1_batch, p2_batch, pending_a, pending_b)


def module_world(django_db_blocker):
    """Generator for a module-scoped fixture (see the module docstring)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def login(client, user) -> None:
    if user is not None:
        client.force_login(user)


def page_form(client, page_id: int):
    """The page editor's form data as the browser would post it (None when the editor is refused)."""
    response = client.get(f"/admin/pages/{page_id}/edit/")
    if response.status_code != 200:
        return None
    return querydict_from_html(response.content.decode(), form_id="page-edit-form")


def is_denied(response) -> bool:
    """Wagtail answers a refusal with 403/404, or a redirect to the login page or the dashboard."""
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and (response["Location"].startswith("/admin/login/") or response["Location"] == "/admin/")
