"""Public pages (no JavaScript needed), the ICS feeds, the JSON API, the admin planning form
(conflicts before saving, scope), host verification and the report with its CSV."""
import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from icalendar import Calendar

from cms import services as cms_services
from cms.models import CommunePage
from marketplace.livestreams import services
from marketplace.livestreams.models import Host, LiveSession, Subscription
from marketplace.livestreams.pricing import LINK_SESSION_KEY
from tests import factories
from tests.factories import checkout_form

from .conftest import close_window, local_in, open_window
from .test_checkout import buy

pytestmark = pytest.mark.django_db


def test_upcoming_by_province_and_commune(client, plan, commune):
    session = plan()
    page = client.get(reverse("livestreams:index"))
    assert page.status_code == 200 and session.title in page.content.decode()
    assert session.title in client.get(reverse("livestreams:index"), {"tinh": commune.parent.code, "xa": commune.code}).content.decode()
    assert session.title not in client.get(reverse("livestreams:index"), {"tinh": "01"}).content.decode()
    assert client.get("/en/livestream/").status_code == 200


def test_session_page_countdown_links_prices_and_subscribe(client, plan):
    session = plan()
    occurrence = session.occurrences.get()
    url = reverse("livestreams:occurrence", args=[occurrence.pk])
    html = client.get(url + f"?live={occurrence.pk}").content.decode()
    assert 'id="countdown"' in html and "tiktok.com/@giaphu/live" in html
    assert "120.000 ₫" in html and "99.000 ₫" in html and "Mua giá live" not in html  # not yet in the window
    assert client.session[LINK_SESSION_KEY] == occurrence.pk
    response = client.post(url, {"email": "sai-email", "scope": "session"})
    assert response.status_code == 400 and "Địa chỉ email không hợp lệ" in response.content.decode()
    assert not Subscription.objects.exists()
    assert client.post(url, {"email": "lan@example.vn", "scope": "occurrence"}).status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.occurrence_id == occurrence.pk
    unsubscribe = reverse("livestreams:unsubscribe", args=[subscription.token])
    assert client.get(unsubscribe).status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is None  # GET only asks
    client.post(unsubscribe)
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None


def test_session_page_in_the_window(client, plan):
    occurrence = open_window(plan().occurrences.get())
    html = client.get(reverse("livestreams:occurrence", args=[occurrence.pk])).content.decode()
    assert "Mua giá live" in html and "<s>120.000 ₫</s>" in html and "còn 5/5" in html


def test_ics_feeds_parse(client, plan, commune, sku):
    start = local_in(days=2).replace(hour=19, minute=0)
    session = plan(starts_local=start, ends_local=start.replace(hour=21), rrule="FREQ=WEEKLY;COUNT=3")
    services.occurrence_cancel(occurrence=session.occurrences.order_by("index").last(), by=None)
    response = client.get(reverse("livestreams:commune-ics", args=[commune.code]))
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 3
    assert [str(e["status"]) for e in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    first = events[0]
    assert str(first["summary"]) == session.title
    assert first.decoded("dtstart").astimezone(dt.UTC).hour == 12  # 19:00 in Vietnam
    assert first.decoded("dtend") - first.decoded("dtstart") == dt.timedelta(hours=2)
    producer = sku.product.producer
    events = Calendar.from_ical(client.get(reverse("livestreams:producer-ics", args=[producer.pk])).content).walk("VEVENT")
    assert len(events) == 3
    assert client.get(reverse("livestreams:commune-ics", args=["99999"])).status_code == 404


def test_api(client, plan, commune):
    session = plan(rrule="FREQ=DAILY;COUNT=2")
    plan(schedule=False, title="Nháp", starts_local=local_in(days=5), ends_local=local_in(days=5, hours=1))
    data = client.get("/api/v1/livestreams/", {"commune": commune.code, "upcoming": "1"}).json()
    assert data["count"] == 1
    item = data["results"][0]
    assert item["id"] == session.pk and item["commune_code"] == commune.code and item["state"] == "scheduled"
    assert item["featured"][0]["live_price_vnd"] == 99000 and item["featured"][0]["price_vnd"] == 120000
    assert len(item["occurrences"]) == 2 and item["occurrences"][0]["starts_at"].endswith("+07:00")
    assert item["hosts"] == ["Nguyễn Thị Hoa"]
    assert client.get(f"/api/v1/livestreams/{session.pk}/").json()["title"] == session.title
    assert client.get("/api/v1/livestreams/999999/").status_code == 404


def test_report_and_csv(client, admin_client, plan, sku, make_listing):
    occurrence = open_window(plan().occurrences.get())
    services.windows_tick()
    other = make_listing(price_vnd=50000, stock=5).product.skus.get()
    assert buy(client, sku, 2, phone="0912 000 001").status_code == 302  # live price
    assert buy(client, sku, 2, phone="0912 000 002").status_code == 302  # live price
    client.get(reverse("livestreams:link", args=[occurrence.pk]))
    client.post(reverse("orders:cart-add"), {"sku": other.pk, "quantity": 1})
    from .test_checkout import FORM
    assert client.post(reverse("orders:checkout"), checkout_form(FORM, phone="0912 000 003")).status_code == 302  # via the link
    close_window(occurrence)
    services.windows_tick()
    report = services.session_report(session=occurrence.session, by=None)
    assert report.totals == {"cap_total": 5, "held": 5, "sold_live": 4, "returned": 1, "units": 5, "units_live_price": 4,
                             "gmv_vnd": 4 * 99000 + 50000, "orders": 3}
    url = reverse("livestreams_admin_report", args=[occurrence.session_id])
    assert "446.000 ₫" in admin_client.get(url).content.decode()
    response = admin_client.get(url, {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Buổi" and rows[-1][0] == "Tổng"
    assert rows[-1][5:] == ["5", "5", "4", "1", "3", "5", "4", str(4 * 99000 + 50000)]
    assert len(rows) == 4  # header, the featured SKU, the SKU bought via the link, totals


def test_report_shows_a_featured_producer_only_its_own_rows(client, plan, sku, commune, producer_page):
    """A producer featured in a session (not its manager) sees its own orders, units and revenue
    there, never another producer's; the session's managers still see every row."""
    cms_services.roles_setup()
    other_page = factories.producer_page(commune=commune, name="HTX Mận hậu thử")
    other = factories.listing(producer_page=other_page, price_vnd=60000, stock=5).product.skus.get()
    session = plan(featured=[services.FeaturedData(sku.pk, 99000, 5, 2), services.FeaturedData(other.pk, 50000, 3, 1)])
    occurrence = open_window(session.occurrences.get())
    services.windows_tick()
    assert buy(client, sku, 2, phone="0912 000 001").status_code == 302
    assert buy(client, other, 1, phone="0912 000 002").status_code == 302
    close_window(occurrence)
    services.windows_tick()
    assert services.session_report(session=session, by=None).totals["gmv_vnd"] == 2 * 99000 + 50000
    featured_user = factories.UserFactory(username="nsx.rieng")
    producer_page.producer.users.add(featured_user)
    cms_services.producer_page_setup(producer_page=producer_page)
    report = services.session_report(session=session, by=featured_user)
    assert [row["sku"] for row in report.rows] == [sku.code]
    assert report.totals == {"cap_total": 5, "held": 5, "sold_live": 2, "returned": 3, "units": 2, "units_live_price": 2,
                             "gmv_vnd": 2 * 99000, "orders": 1}
    client.force_login(featured_user)
    url = reverse("livestreams_admin_report", args=[session.pk])
    html = client.get(url).content.decode()
    assert "198.000 ₫" in html and other.code not in html and other.product.name not in html
    rows = list(csv.reader(io.StringIO(client.get(url, {"format": "csv"}).content.decode("utf-8-sig"))))
    assert [row[3] for row in rows[1:-1]] == [sku.code]
    assert rows[-1][5:] == ["5", "5", "2", "3", "1", "2", "2", str(2 * 99000)]


def test_admin_plans_with_conflicts_shown_before_saving(admin_client, plan, host, sku, commune):
    existing = plan()
    first = existing.occurrences.get()
    start = local_in(days=1)
    form = {"title": "Phiên mới", "commune": commune.pk, "venue": "", "starts_local": f"{start:%Y-%m-%dT%H:%M}",
            "ends_local": f"{start + dt.timedelta(hours=1):%Y-%m-%dT%H:%M}", "rrule": "", "hosts": [host.pk],
            "featured-TOTAL_FORMS": "1", "featured-INITIAL_FORMS": "0", "featured-0-sku": sku.pk,
            "featured-0-live_price_vnd": "90000", "featured-0-cap_total": "3", "featured-0-cap_per_buyer": "1"}
    url = reverse("livestreams_admin_add")
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {**form, "action": "check"})
    assert "Trùng lịch với phiên “Chợ phiên Gia Phú online”" in response.content.decode()
    assert LiveSession.objects.count() == 1
    response = admin_client.post(url, {**form, "action": "schedule"})
    assert response.status_code == 400 and LiveSession.objects.count() == 1
    assert admin_client.post(url, {**form, "action": "draft"}).status_code == 302  # a draft may clash
    later = first.ends_at + dt.timedelta(hours=1)
    from marketplace.livestreams.recurrence import to_local
    later = to_local(later).replace(tzinfo=None)
    form.update(starts_local=f"{later:%Y-%m-%dT%H:%M}", ends_local=f"{later + dt.timedelta(hours=1):%Y-%m-%dT%H:%M}")
    assert "Không có lỗi" in admin_client.post(url, {**form, "action": "check"}).content.decode()
    assert admin_client.post(url, {**form, "action": "schedule"}).status_code == 302
    assert LiveSession.objects.filter(state="scheduled").count() == 2


def test_admin_occurrence_move_and_cancel(admin_client, plan):
    session = plan(rrule="FREQ=DAILY;COUNT=2")
    first, second = session.occurrences.order_by("index")
    url = reverse("livestreams_admin_occurrences", args=[session.pk])
    assert admin_client.get(url).status_code == 200
    new = local_in(days=4)
    admin_client.post(url, {"action": "move", "occurrence": first.pk, f"o{first.pk}-starts_local": f"{new:%Y-%m-%dT%H:%M}",
                            f"o{first.pk}-ends_local": f"{new + dt.timedelta(hours=1):%Y-%m-%dT%H:%M}"})
    first.refresh_from_db()
    assert first.moved_from is not None
    admin_client.post(url, {"action": "cancel", "occurrence": second.pk, "reason": "Mưa"})
    second.refresh_from_db()
    assert second.status == "cancelled" and second.cancel_reason == "Mưa"


def test_hosts_are_verified_by_editors_only(client, commune, make_listing):
    cms_services.roles_setup()
    editor = factories.UserFactory(username="bt.giaphu")
    cms_services.editor_assign(user=editor, commune_page=CommunePage.objects.get(admin_unit=commune))
    page = factories.producer_page(commune=commune)
    producer_user = factories.UserFactory(username="nsx.live")
    page.producer.users.add(producer_user)
    cms_services.producer_page_setup(producer_page=page)
    url = reverse("livestreams_admin_hosts")
    client.force_login(producer_user)
    response = client.post(url, {"action": "add", "name": "Lò Thị Mai", "id_number": "0012 0300 4568", "producer": page.producer.pk})
    assert response.status_code == 302
    host = Host.objects.get()
    assert not host.is_verified and host.id_number_masked.endswith("4568") and "001203004568" not in client.get(url).content.decode()
    client.post(url, {"action": "verify", "host": host.pk})  # Wagtail answers a refusal with a redirect
    host.refresh_from_db()
    assert not host.is_verified
    assert client.post(url, {"action": "add", "name": "X", "id_number": "12"}).status_code == 400
    client.force_login(editor)
    client.post(url, {"action": "verify", "host": host.pk})
    host.refresh_from_db()
    assert host.verified_by == editor and host.verified_at is not None
    # Scope: another commune's editor sees no sessions of this one and cannot open them.
    stranger = factories.UserFactory(username="bt.khac")
    cms_services.editor_assign(user=stranger, commune_page=cms_services.commune_page_get_or_create(commune=factories.commune("00004")))
    session = LiveSession.objects.create(title="X", commune=commune, starts_at=host.created_at, ends_at=host.created_at + dt.timedelta(hours=1))
    client.force_login(stranger)
    assert client.get(reverse("livestreams_admin_report", args=[session.pk])).status_code == 404
    client.force_login(factories.UserFactory(username="khach"))
    assert client.get(reverse("livestreams_admin_index")).status_code in (302, 403)
