"""After import_listings, the bulk-written pages and products are where Wagtail and the buyers'
search expect them: in the buyers' search, in the admin's page search, in the page history and
in the reference index."""
import pytest
from django.contrib.contenttypes.models import ContentType
from wagtail.models import Page, PageLogEntry, ReferenceIndex

from cms.models import ProducerPage, ProductPage
from marketplace.catalog.models import Category
from search.backends.base import SearchQuery
from search.models import IndexOutbox
from search.services import search_products
from tests import factories

from .test_import_listings import GOOD, run, write


@pytest.fixture
def imported(db, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run(write(tmp_path, GOOD))
    return ProductPage.objects.get(title="Chuối sấy Gia Phú")


def test_buyers_search_finds_an_imported_product_by_name(imported):
    result = search_products(query=SearchQuery(text="chuối sấy gia phú"))

    assert [hit.sku for hit in result.results] == ["GP-CHUOI-1KG"]
    assert not IndexOutbox.objects.exists()  # applied, nothing left for the sweep


def test_admin_page_search_finds_imported_listing_and_producer_pages(imported, admin_client):
    response = admin_client.get("/admin/pages/search/", {"q": "Chuối sấy"})

    assert response.status_code == 200
    assert imported in response.context["pages"]
    producer_page = imported.get_parent().specific
    assert producer_page in admin_client.get("/admin/pages/search/", {"q": "HTX Chuối Gia Phú Mới"}).context["pages"]


def test_imported_pages_have_history_saying_the_import_created_and_published_them(imported, admin_client):
    entries = PageLogEntry.objects.filter(page=imported).order_by("pk")

    assert [e.action for e in entries] == ["cms.listing_import", "wagtail.publish"]
    assert entries[1].revision_id == imported.live_revision_id and entries[1].content_changed
    assert all(e.label == imported.title and e.user is None for e in entries)
    assert PageLogEntry.objects.filter(page=imported.get_parent(), action="wagtail.publish").exists()
    history = admin_client.get(f"/admin/pages/{imported.pk}/history/")
    assert history.status_code == 200 and "nhập danh sách" in history.content.decode()


def test_reference_index_holds_the_imported_pages_references(imported):
    category = Category.objects.get(name="Thực phẩm")
    page_type = ContentType.objects.get_for_model(Page)

    refs = ReferenceIndex.get_references_to(category)
    assert {(r.base_content_type_id, r.object_id) for r in refs} >= {(page_type.pk, str(imported.pk))}
    producer_page = imported.get_parent().specific  # a new producer's page, also written in bulk
    assert isinstance(producer_page, ProducerPage) and producer_page.owners_group is not None
    refs = ReferenceIndex.get_references_to(producer_page.owners_group)
    assert refs.filter(base_content_type=page_type, object_id=str(producer_page.pk)).exists()


def test_a_failed_import_leaves_no_history_behind(db, tmp_path, monkeypatch):
    from cms import listing_write

    def fail(*args, **kwargs):
        raise RuntimeError("commit point refused")

    monkeypatch.setattr(listing_write, "_commit_point", fail)
    with pytest.raises(RuntimeError):
        run(write(tmp_path, GOOD))

    assert not PageLogEntry.objects.exists() and not ProductPage.objects.exists()


def test_indexing_the_pages_again_or_after_a_deletion_is_harmless(imported):
    from cms.page_bookkeeping import imported_pages_index

    before = ReferenceIndex.objects.count()
    assert imported_pages_index(page_ids=[imported.pk, imported.get_parent().pk, 10**9]) == 2
    assert ReferenceIndex.objects.count() == before
    assert [page.pk for page in Page.objects.search("Chuối sấy")].count(imported.pk) == 1


def test_an_existing_listing_moved_to_another_category_is_referenced_from_it(db, tmp_path, make_listing,
                                                                               django_capture_on_commit_callbacks):
    page = make_listing(name="Miến dong", stars=None, skus=[factories.catalog.SkuData("MD-1", "gói 500g", 40000, 500)],
                        stock=5)
    producer = page.product.producer.name
    with django_capture_on_commit_callbacks(execute=True):
        run(write(tmp_path, [f"MD-1,Miến dong,,Gia vị,gói 500g,40000,5,,{producer},02923,500,"]))

    spices = Category.objects.get(name="Gia vị")
    assert ReferenceIndex.get_references_to(spices).filter(object_id=str(page.pk)).exists()
