"""Who may do what in the admin: every role against every action, through the admin's HTTP
endpoints. P1 is a producer of commune A, P2 of commune B; "A"/"B" name the target's commune.

The live session "S" is in commune A, created by P1's user, and features a product of P1 and one
of P2: only its creator, commune A's editors and operators change it; P2 manages only its own
featured product there (or leaves)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from connectors.models import Connection
from marketplace.catalog.models import OcopCertificate, Producer, Sku, Stock
from marketplace.livestreams import services as live
from marketplace.livestreams.models import FeaturedProduct, Host, LiveSession, Occurrence
from marketplace.livestreams.recurrence import to_local

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
    # Choosers answer only for rows the list views would show (never a pending sign-up).
    "producer_chooser_lists_p2": {"operator", "editor_b", "producer_p2"},
    "producer_chosen_p2": {"operator", "editor_b", "producer_p2"},
    "producer_chosen_pending_a": set(),
    "certificate_chosen_b": {"operator", "editor_b"},  # producers have no certificate permissions
    "batch_chosen_p2": {"operator", "editor_b", "producer_p2"},
    "product_chooser_lists_p2": {"operator", "editor_b"},
    "product_chosen_p2": {"operator", "editor_b"},
    # Live session S (commune A, created by P1, featuring P1 and P2).
    "edit_session_s": {"operator", "editor_a", "producer_p1"},
    "cancel_session_s": {"operator", "editor_a", "producer_p1"},
    "move_occurrence_s": {"operator", "editor_a", "producer_p1"},
    "cancel_occurrence_s": {"operator", "editor_a", "producer_p1"},
    "set_p2_featured_price_in_s": {"producer_p2"},
    "p2_leaves_s": {"producer_p2"},
    # S's report (page and CSV): every row for its managers, only its own rows for P2.
    "report_shows_p1_rows_of_s": {"operator", "editor_a", "producer_p1"},
    "report_csv_shows_p1_rows_of_s": {"operator", "editor_a", "producer_p1"},
    "report_shows_p2_rows_of_s": {"operator", "editor_a", "producer_p1", "producer_p2"},
    "report_csv_shows_p2_rows_of_s": {"operator", "editor_a", "producer_p1", "producer_p2"},
    # Platform connections: an editor sets their commune's key, never the address it is sent to.
    "set_connection_base_url_a": {"operator"},
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    for world in module_world(django_db_blocker):
        with django_db_blocker.unblock():
            world.session = _live_session(world)
        yield world


def _local(days: int, hours: int = 0) -> dt.datetime:
    moment = timezone.now() + dt.timedelta(days=days, hours=hours)
    return to_local(moment).replace(tzinfo=None, second=0, microsecond=0)


def _live_session(world) -> LiveSession:
    host = live.host_save(host=Host(name="Lò Thị Mai", id_number="001203009999"))
    live.host_verify(host=host, by=world.users["operator"])
    start = _local(days=2)
    data = live.SessionData(
        title="Chợ phiên Gia Phú", commune_id=world.p1_page.producer.commune_id, starts_local=start,
        ends_local=start + dt.timedelta(hours=2), host_ids=[host.pk], venue="Nhà văn hoá thôn 1",
        featured=[live.FeaturedData(world.p1_sku.pk, 90000, 5, 2), live.FeaturedData(world.p2_sku.pk, 90000, 5, 2)],
    )
    return live.live_session_save(data=data, schedule=True, by=world.users["producer_p1"])


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


SNIPPET_CHOOSER = "/admin/snippets/choose/catalog"


def _chosen(client, url: str) -> bool:
    """A chooser's "chosen" answer: the object's data (allowed) or a refusal."""
    response = client.get(url)
    if is_denied(response):
        return False
    assert response.status_code == 200, (url, response.status_code)
    assert response.json()["step"] == "chosen"
    return True


def _lists(client, url: str, text: str) -> bool:
    response = client.get(url)
    if is_denied(response):
        return False
    assert response.status_code == 200, (url, response.status_code)
    return text in response.content.decode()


def _session_form(world, title: str) -> dict:
    session, start = world.session, _local(days=2)
    data = {
        "title": title, "description": "", "commune": session.commune_id, "venue": session.venue,
        "starts_local": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_local": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "rrule": "", "hosts": [h.pk for h in session.hosts.all()], "producers": [world.p1_page.producer_id],
        "tiktok": "", "facebook": "", "zalo": "", "action": "schedule",
        "featured-TOTAL_FORMS": "1", "featured-INITIAL_FORMS": "0", "featured-MIN_NUM_FORMS": "0",
        "featured-MAX_NUM_FORMS": "1000",
        "featured-0-sku": world.p1_sku.pk, "featured-0-live_price_vnd": "90000", "featured-0-cap_total": "5",
        "featured-0-cap_per_buyer": "2",
    }
    return data


def edit_session(client, world) -> bool:
    """Rename the session and drop P2 and its product (what a featured producer must not do)."""
    response = client.post(f"/admin/livestreams/{world.session.pk}/edit/", _session_form(world, "Phiên đã bị đổi"))
    changed = LiveSession.objects.get(pk=world.session.pk).title == "Phiên đã bị đổi"
    assert changed != is_denied(response), response.status_code
    return changed


def _occurrence(world) -> Occurrence:
    return world.session.occurrences.get()


def cancel_session(client, world) -> bool:
    response = client.post(f"/admin/livestreams/{world.session.pk}/occurrences/", {"action": "cancel_session", "reason": "x"})
    cancelled = LiveSession.objects.get(pk=world.session.pk).state == LiveSession.State.CANCELLED
    assert cancelled != is_denied(response), response.status_code
    return cancelled


def move_occurrence(client, world) -> bool:
    occurrence, start = _occurrence(world), _local(days=3)
    response = client.post(f"/admin/livestreams/{world.session.pk}/occurrences/", {
        "action": "move", "occurrence": occurrence.pk, f"o{occurrence.pk}-starts_local": start.strftime("%Y-%m-%dT%H:%M"),
        f"o{occurrence.pk}-ends_local": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")})
    moved = Occurrence.objects.get(pk=occurrence.pk).moved_from is not None
    assert moved != is_denied(response), response.status_code
    return moved


def cancel_occurrence(client, world) -> bool:
    occurrence = _occurrence(world)
    response = client.post(f"/admin/livestreams/{world.session.pk}/occurrences/",
                           {"action": "cancel", "occurrence": occurrence.pk, "reason": "x"})
    cancelled = Occurrence.objects.get(pk=occurrence.pk).status == Occurrence.Status.CANCELLED
    assert cancelled != is_denied(response), response.status_code
    return cancelled


def set_p2_featured_price(client, world) -> bool:
    client.post(f"/admin/livestreams/{world.session.pk}/my-products/", {
        "action": "save", "featured-TOTAL_FORMS": "1", "featured-INITIAL_FORMS": "0", "featured-MIN_NUM_FORMS": "0",
        "featured-MAX_NUM_FORMS": "1000", "featured-0-sku": world.p2_sku.pk, "featured-0-live_price_vnd": "85000",
        "featured-0-cap_total": "4", "featured-0-cap_per_buyer": "1"})
    row = FeaturedProduct.objects.get(session=world.session, sku=world.p2_sku)
    return row.live_price_vnd == 85000


def p2_leaves(client, world) -> bool:
    client.post(f"/admin/livestreams/{world.session.pk}/my-products/", {"action": "leave"})
    session = LiveSession.objects.get(pk=world.session.pk)
    return not session.producers.filter(pk=world.p2_page.producer_id).exists() and \
        not session.featured.filter(sku=world.p2_sku).exists()


def report_shows(client, world, sku, csv: bool = False) -> bool:
    """Whether S's report (page or CSV) opens for the user and has a row for `sku`."""
    url = f"/admin/livestreams/{world.session.pk}/report/" + ("?format=csv" if csv else "")
    response = client.get(url)
    if is_denied(response):
        return False
    assert response.status_code == 200, (url, response.status_code)
    return sku.code in response.content.decode("utf-8-sig")


def set_connection_base_url(client, world) -> bool:
    url = "https://api.37nghean.example.vn/"
    client.post("/admin/connectors/connections/", {"platform": "nghean37", "account": "02923", "secret": "khoa-xa-a-12345678",
                                                   "base_url": url, "enabled": "on"})
    return Connection.objects.filter(platform="nghean37", account="02923", base_url=url).exists()


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
    "producer_chooser_lists_p2": lambda c, w: _lists(c, f"{SNIPPET_CHOOSER}/producer/results/", w.p2_page.producer.name),
    "producer_chosen_p2": lambda c, w: _chosen(c, f"{SNIPPET_CHOOSER}/producer/chosen/{w.p2_page.producer_id}/"),
    "producer_chosen_pending_a": lambda c, w: _chosen(c, f"{SNIPPET_CHOOSER}/producer/chosen/{w.pending_a.pk}/"),
    "certificate_chosen_b": lambda c, w: _chosen(c, f"{SNIPPET_CHOOSER}/ocopcertificate/chosen/{w.p2_certificate.pk}/"),
    "batch_chosen_p2": lambda c, w: _chosen(c, f"{SNIPPET_CHOOSER}/batch/chosen/{w.p2_batch.pk}/"),
    "product_chooser_lists_p2": lambda c, w: _lists(c, "/admin/ocop/product-chooser/results/", w.p2_page.producer.name),
    "product_chosen_p2": lambda c, w: _chosen(c, f"/admin/ocop/product-chooser/chosen/{w.p2_sku.product_id}/"),
    "edit_session_s": edit_session,
    "cancel_session_s": cancel_session,
    "move_occurrence_s": move_occurrence,
    "cancel_occurrence_s": cancel_occurrence,
    "set_p2_featured_price_in_s": set_p2_featured_price,
    "p2_leaves_s": p2_leaves,
    "report_shows_p1_rows_of_s": lambda c, w: report_shows(c, w, w.p1_sku),
    "report_csv_shows_p1_rows_of_s": lambda c, w: report_shows(c, w, w.p1_sku, csv=True),
    "report_shows_p2_rows_of_s": lambda c, w: report_shows(c, w, w.p2_sku),
    "report_csv_shows_p2_rows_of_s": lambda c, w: report_shows(c, w, w.p2_sku, csv=True),
    "set_connection_base_url_a": set_connection_base_url,
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(MATRIX))
def test_permission_matrix(client, world, role, action):
    login(client, world.users[role])
    assert ACTIONS[action](client, world) is (role in MATRIX[action])


def test_matrix_covers_every_action():
    assert set(ACTIONS) == set(MATRIX)


# The services themselves refuse whoever may not manage S (`by`); `by=None` is the system.
MANAGERS_OF_S = {"operator", "editor_a", "producer_p1"}


def _save_renamed(world, by):
    session, start = LiveSession.objects.get(pk=world.session.pk), _local(days=2)  # world.session is shared: not changed
    data = live.SessionData(
        title="Phiên đã bị đổi", commune_id=session.commune_id, starts_local=start, ends_local=start + dt.timedelta(hours=2),
        host_ids=list(session.hosts.values_list("pk", flat=True)), venue=session.venue,
        featured=[live.FeaturedData(world.p1_sku.pk, 90000, 5, 2)])
    live.live_session_save(data=data, session=session, schedule=True, by=by)
    return LiveSession.objects.get(pk=session.pk).title == "Phiên đã bị đổi"


def _move(world, by):
    occurrence, start = world.session.occurrences.get(), _local(days=3)
    live.occurrence_move(occurrence=occurrence, starts_local=start, ends_local=start + dt.timedelta(hours=1), by=by)
    return Occurrence.objects.get(pk=occurrence.pk).moved_from is not None


def _cancel_occurrence(world, by):
    occurrence = world.session.occurrences.get()
    live.occurrence_cancel(occurrence=occurrence, reason="x", by=by)
    return Occurrence.objects.get(pk=occurrence.pk).status == Occurrence.Status.CANCELLED


def _cancel_session(world, by):
    live.live_session_cancel(session=LiveSession.objects.get(pk=world.session.pk), reason="x", by=by)
    return LiveSession.objects.get(pk=world.session.pk).state == LiveSession.State.CANCELLED


SESSION_SERVICES = {"save": _save_renamed, "move": _move, "cancel_occurrence": _cancel_occurrence,
                    "cancel_session": _cancel_session}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES + ["system"])
@pytest.mark.parametrize("service", list(SESSION_SERVICES))
def test_session_services_ask_who_acts(world, role, service):
    by = None if role == "system" else (world.users[role] or AnonymousUser())
    if role == "system" or role in MANAGERS_OF_S:
        assert SESSION_SERVICES[service](world, by) is True
        return
    with pytest.raises(live.LiveNotAllowed):
        SESSION_SERVICES[service](world, by)
    session = LiveSession.objects.get(pk=world.session.pk)
    assert session.title == "Chợ phiên Gia Phú" and session.state == LiveSession.State.SCHEDULED
    assert session.occurrences.get().status == Occurrence.Status.SCHEDULED and session.occurrences.get().moved_from is None


@pytest.mark.django_db
def test_planning_a_new_session_needs_a_planner(world):
    start = _local(days=4)
    data = live.SessionData(title="Phiên mới", commune_id=world.session.commune_id, starts_local=start,
                            ends_local=start + dt.timedelta(hours=1))
    with pytest.raises(live.LiveNotAllowed):
        live.live_session_save(data=data, by=AnonymousUser())
    assert live.live_session_save(data=data, by=world.users["editor_a"]).created_by == world.users["editor_a"]
