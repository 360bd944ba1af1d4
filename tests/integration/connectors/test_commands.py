"""`sync_listings` and `import_platform_orders` as DESIGN.md describes them."""
from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from connectors.models import Binding, PlatformOrder, SyncState
from marketplace.catalog import services as catalog

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_sync_listings_reconciles_then_does_all_pending_work_including_retries(platforms, make_listing):
    make_listing(skus=[catalog.SkuData("GP-CM-1", "gói 500g", 42000, 500)])
    platforms.voso.faults.next("5xx", 1, op="create")
    first = _run("sync_listings")
    assert "lanes: postmart, voso, nghean37:02923" in first and "to retry 1" in first
    assert Binding.objects.get(platform="voso").sync_state == SyncState.RETRY
    second = _run("sync_listings", "--platform", "voso")  # the retry is not due yet: done anyway
    assert "create: 1" in second
    assert not Binding.objects.exclude(sync_state=SyncState.IDLE).exists()


def test_import_platform_orders_prints_a_summary(platforms, make_listing):
    make_listing(skus=[catalog.SkuData("GP-CM-2", "gói 500g", 42000, 500)], stock=3)
    _run("sync_listings")
    platforms.nghean37.add_order([("GP-CM-2", 1)])
    out = _run("import_platform_orders", "--platform", "nghean37")
    assert "nghean37:02923: seen 1, stored 1, needs attention 0, cancelled 0, acknowledged 1" in out
    assert PlatformOrder.objects.get().acknowledged_at is not None


def test_commands_refuse_when_nothing_is_configured(db):
    with pytest.raises(CommandError):
        _run("sync_listings")
    with pytest.raises(CommandError):
        _run("import_platform_orders", "--platform", "postmart")
