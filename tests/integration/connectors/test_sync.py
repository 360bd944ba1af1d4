"""Listings reach the three fake platforms through real HTTP and stay in step with the catalogue."""
from __future__ import annotations

import datetime as dt

import pytest

from cms import services as cms_services
from connectors import registry, selectors
from connectors.models import Binding, OutboxEntry, RemoteState, SyncState
from connectors.services import opt_out_set
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Sku

pytestmark = pytest.mark.django_db


def _binding(sku_code: str, platform: str) -> Binding:
    return Binding.objects.get(sku__code=sku_code, platform=platform)


def test_publishing_lists_every_sku_on_all_three_platforms(platforms, make_listing):
    page = make_listing(skus=[catalog.SkuData("GP-MO-1", "hũ 300g", 120000, 300),
                              catalog.SkuData("GP-MO-2", "hũ 500g", 185050, 500)], stock=7)
    assert OutboxEntry.objects.count() > 0  # written in the catalogue's transaction
    platforms.sync()
    assert not OutboxEntry.objects.exists()
    assert {p["sku"] for p in platforms.postmart.live_products()} == {"GP-MO-1", "GP-MO-2"}
    assert platforms.voso.item_by_outer_id("GP-MO-2")["price"] == 185100  # Voso: multiple of 100
    assert platforms.nghean37.product_by_sku("GP-MO-1")["so_luong"] == 7
    assert Binding.objects.filter(remote_status=RemoteState.PENDING_REVIEW).count() == 6

    # Review states are read once the polling interval has passed; the fakes approve on the first read.
    Binding.objects.update(last_polled_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    platforms.sync()
    assert Binding.objects.filter(remote_status=RemoteState.LIVE).count() == 6
    assert selectors.live_product_ids() == {page.product_id}
    assert selectors.configured_platforms() == ["postmart", "voso", "nghean37"]
    text, tone = selectors.binding_state_text(_binding("GP-MO-1", "postmart"), platform="postmart")
    assert (text, tone) == ("Đang bán trên PostMart", "ok")
    assert _binding("GP-MO-2", "voso").remote_price_vnd == 185100


def test_edits_use_update_or_the_stock_call_and_unchanged_content_makes_no_write(platforms, make_listing):
    page = make_listing(skus=[catalog.SkuData("GP-CH-1", "gói 500g", 50000, 500)], stock=10)
    platforms.sync()
    platforms.reset_counters()
    platforms.sync()
    assert platforms.write_calls() == 0  # nothing changed: no write call anywhere

    catalog.stock_set(sku=Sku.objects.get(code="GP-CH-1"), on_hand=4)
    platforms.sync()
    assert platforms.postmart.calls["stock"] == 1 and platforms.voso.calls["stock"] == 1
    assert platforms.nghean37.calls["update"] == 1  # no stock call there: a full replace
    assert platforms.postmart.calls["update"] == 0 and platforms.voso.calls["update"] == 0
    assert platforms.postmart.product_by_sku("GP-CH-1")["stock"] == 4

    platforms.reset_counters()
    cms_services.listing_update(page=page, name=page.title, category=page.category,
                                skus=[catalog.SkuData("GP-CH-1", "gói 500g", 55000, 500)])
    platforms.sync()
    assert [fake.calls["update"] for fake in platforms.all] == [1, 1, 1]
    assert platforms.voso.item_by_outer_id("GP-CH-1")["price"] == 55000
    assert platforms.nghean37.product_by_sku("GP-CH-1")["gia"] == 55000

    platforms.reset_counters()
    platforms.sync()
    assert platforms.write_calls() == 0


def test_unpublish_delists_and_republish_goes_through_the_relist_path(platforms, make_listing):
    page = make_listing(skus=[catalog.SkuData("GP-RL-1", "túi 1kg", 90000, 1000)])
    platforms.sync()
    first_pm_id = _binding("GP-RL-1", "postmart").external_id
    page.unpublish()
    platforms.sync()
    assert platforms.postmart.live_products() == [] and platforms.nghean37.live_products() == []
    assert platforms.voso.item_by_outer_id("GP-RL-1")["status"] == "delisted"
    assert set(Binding.objects.values_list("remote_status", flat=True)) == {RemoteState.DELISTED}

    platforms.reset_counters()
    page.get_latest_revision().publish()
    platforms.sync()
    assert platforms.voso.calls["relist"] == 1 and platforms.voso.calls["create"] == 0
    assert len(platforms.postmart.live_products()) == 1
    assert _binding("GP-RL-1", "postmart").external_id != first_pm_id  # PostMart deletes: a new product
    assert len(platforms.nghean37.live_products()) == 1


def test_an_expired_certificate_delists_everywhere(platforms, make_listing, settings):
    settings.OCOP_EXPIRED_UNPUBLISH = True
    make_listing(skus=[catalog.SkuData("GP-EX-1", "chai 500ml", 70000, 600)], stars=4,
                 issued_on=dt.date.today() - dt.timedelta(days=37 * 31))
    catalog.certificates_expire()
    platforms.sync()
    assert platforms.postmart.live_products() == [] and platforms.nghean37.live_products() == []
    assert platforms.voso.item_by_outer_id("GP-EX-1") is None or \
        platforms.voso.item_by_outer_id("GP-EX-1")["status"] == "delisted"


def test_opt_out_delists_one_platform_only_and_opting_in_lists_again(platforms, make_listing):
    page = make_listing(skus=[catalog.SkuData("GP-OO-1", "hộp 6 chai", 240000, 3000)])
    platforms.sync()
    opt_out_set(product_id=page.product_id, platform="voso", opted_out=True)
    platforms.sync()
    assert platforms.voso.item_by_outer_id("GP-OO-1")["status"] == "delisted"
    assert len(platforms.postmart.live_products()) == 1
    text, tone = selectors.binding_state_text(_binding("GP-OO-1", "voso"), platform="voso", opted_out=True)
    assert tone == "off" and "Voso" in text
    opt_out_set(product_id=page.product_id, platform="voso", opted_out=False)
    platforms.sync()
    assert platforms.voso.item_by_outer_id("GP-OO-1")["status"] in ("reviewing", "on_sale")


def test_products_that_existed_before_configuration_are_listed_by_reconcile(make_listing, request):
    make_listing(skus=[catalog.SkuData("GP-OLD-1", "túi 2kg", 150000, 2000)])
    assert not Binding.objects.exists()  # no platform configured yet: nothing recorded
    platforms = request.getfixturevalue("platforms")
    platforms.sync()
    assert len(platforms.postmart.live_products()) == 1 and len(platforms.nghean37.live_products()) == 1


def test_rejections_and_temporary_errors_are_shown_in_plain_words(platforms, make_listing, settings):
    make_listing(skus=[catalog.SkuData("GP-RJ-1", "gói 200g", 35000, 200)])
    platforms.sync()
    item = platforms.voso.item_by_outer_id("GP-RJ-1")
    platforms.voso.ban(item["item_id"], "tiêu đề có ký tự đặc biệt")
    platforms.voso.review_after_reads = None
    settings.CONNECTOR_POLL_INTERVAL_SECONDS = 0
    Binding.objects.filter(platform="voso").update(remote_status=RemoteState.PENDING_REVIEW)
    platforms.sync()
    text, tone = selectors.binding_state_text(_binding("GP-RJ-1", "voso"), platform="voso")
    assert (text, tone) == ("Voso từ chối: tiêu đề có ký tự đặc biệt", "error")

    platforms.postmart.faults.next("5xx", 5)
    catalog.stock_set(sku=Sku.objects.get(code="GP-RJ-1"), on_hand=3)
    platforms.sync()
    binding = _binding("GP-RJ-1", "postmart")
    assert binding.sync_state == SyncState.RETRY and binding.next_attempt_at is not None
    assert selectors.binding_state_text(binding, platform="postmart")[0] == "Đang chờ gửi lại — nền tảng tạm thời lỗi"


def test_a_validation_error_is_final_recorded_and_not_repeated(platforms, make_listing):
    make_listing(skus=[catalog.SkuData("GP-FN-1", "bó", 20000, None)])  # Voso requires weight_gram
    platforms.sync()
    binding = _binding("GP-FN-1", "voso")
    assert binding.sync_state == SyncState.FAILED and binding.error_final and binding.last_error
    platforms.reset_counters()
    platforms.sync()
    assert platforms.voso.write_calls == 0  # the same content is not sent again
    assert selectors.binding_state_text(binding, platform="voso")[1] == "error"


def test_review_states_are_read_at_most_once_per_interval(platforms, make_listing, settings):
    make_listing(skus=[catalog.SkuData("GP-PL-1", "gói 1kg", 60000, 1000)])
    for fake in platforms.all:
        fake.review_after_reads = None  # stays under review
    platforms.sync()
    platforms.reset_counters()
    settings.CONNECTOR_POLL_INTERVAL_SECONDS = 3600
    platforms.sync()
    assert sum(fake.calls["get"] for fake in platforms.all) == 0  # created just now: not due
    Binding.objects.update(last_polled_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    platforms.sync()
    platforms.sync()
    assert [fake.calls["get"] for fake in platforms.all] == [1, 1, 1]
    assert registry.lanes()  # still configured
