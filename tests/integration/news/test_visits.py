"""Visit counts: counted on cache hits and misses, buffered, written as one UPSERT per page/day."""
from __future__ import annotations

import pytest
from django.utils import timezone

from cms import visits
from cms.models import PageVisit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_buffer():
    visits.flush()
    yield
    visits._buffer.clear()


def test_preview_is_not_a_visit(client, make_listing, settings):
    settings.VISITS_FLUSH_EVERY = 10_000
    from tests import factories

    product_page = make_listing()
    visits.flush()
    client.force_login(factories.UserFactory(is_superuser=True, is_staff=True))
    assert client.get(f"/admin/pages/{product_page.pk}/view_draft/").status_code == 200
    assert visits.flush() == 0


def test_product_and_commune_visits_are_counted_on_hits_and_misses(client, make_listing, settings):
    settings.VISITS_FLUSH_EVERY, settings.VISITS_FLUSH_SECONDS = 10_000, 10_000
    product_page = make_listing()
    commune_page = product_page.get_parent().get_parent()
    visits.flush()
    for _ in range(3):
        assert client.get(product_page.url).status_code == 200
    client.get(commune_page.url)
    client.get("/")  # the home page is not counted
    assert not PageVisit.objects.exists()  # still buffered
    assert visits.flush() == 2
    today = timezone.localdate()
    assert PageVisit.objects.get(page=product_page, day=today).count == 3
    assert PageVisit.objects.get(page_id=commune_page.pk, day=today).count == 1
    client.get(product_page.url)
    visits.flush()
    assert PageVisit.objects.get(page=product_page, day=today).count == 4  # added, not replaced


def test_buffer_is_handed_to_the_writer_every_n_visits(client, make_listing, settings, monkeypatch):
    """The write itself runs in a background thread; here it runs inline so that it sees the
    test's transaction (SQLite would lock a second connection out of it)."""
    settings.VISITS_FLUSH_EVERY, settings.VISITS_FLUSH_SECONDS = 3, 10_000
    product_page = make_listing()
    visits.flush()
    monkeypatch.setattr(visits, "flush_in_background", visits.flush)
    for _ in range(2):
        client.get(product_page.url)
    assert not PageVisit.objects.exists()
    client.get(product_page.url)
    assert PageVisit.objects.get(page=product_page).count == 3


def test_a_page_view_runs_no_query_for_counting(client, make_listing, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.VISITS_FLUSH_EVERY, settings.VISITS_FLUSH_SECONDS = 1, 10_000  # due on every visit
    product_page = make_listing()
    client.get(product_page.url)  # stored in the page cache
    with CaptureQueriesContext(connection) as queries:
        assert client.get(product_page.url)["X-Page-Cache"] == "hit"
    assert len(queries) == 0
    if visits._flusher is not None:
        visits._flusher.join(timeout=10)


def test_logged_in_visits_count_too_and_not_found_does_not(client, make_listing, settings):
    settings.VISITS_FLUSH_EVERY = 10_000
    from tests import factories

    product_page = make_listing()
    visits.flush()
    client.force_login(factories.UserFactory())
    client.get(product_page.url)
    client.get(product_page.url + "khong-co/")
    visits.flush()
    assert PageVisit.objects.get(page=product_page).count == 1
    assert PageVisit.objects.count() == 1


def test_counts_for_deleted_pages_are_dropped_not_fatal(make_listing):
    product_page = make_listing()
    visits.visits_add(counts={(product_page.pk, timezone.localdate()): 2, (999_999, timezone.localdate()): 1})
    assert list(PageVisit.objects.values_list("count", flat=True)) == [2]
