"""With 30 % of calls failing (5xx, HTML pages, timeouts, 429, answers lost after the platform
committed), retrying every call until it succeeds ends with exactly the intended listings."""
from __future__ import annotations

import pytest

from connectors.exceptions import RetryableError
from tests.fakes.platforms import RANDOM_KINDS
from tests.unit.connectors.conftest import content

SKUS = [f"SKU-{i:02d}" for i in range(12)]


def until_done(call, *args, **kwargs):
    for _ in range(60):
        try:
            return call(*args, **kwargs)
        except RetryableError:
            continue
    raise AssertionError("did not converge")


@pytest.mark.parametrize("platform", ["postmart", "voso", "nghean37"])
def test_repeated_calls_converge_without_duplicates(platform, request):
    fake = request.getfixturevalue(platform)
    adapter = request.getfixturevalue({"postmart": "pm", "voso": "vs", "nghean37": "na"}[platform])
    fake.faults.random(0.3, RANDOM_KINDS, seed=7)
    ids = {sku: until_done(adapter.create, content(sku=sku, price_vnd=40_000), idempotency_key=f"create-{sku}").external_id
           for sku in SKUS}
    for sku in SKUS[:4]:
        until_done(adapter.update, ids[sku], content(sku=sku, price_vnd=41_000))
        until_done(adapter.set_stock, ids[sku], 5)
    for sku in SKUS[-2:]:
        until_done(adapter.delist, ids[sku])
    fake.faults.clear()
    assert fake.faults.injected.total() > 5

    listed = _listed(fake)
    assert sorted(listed) == sorted(SKUS[:-2])  # nothing doubled, nothing lost, delists done
    assert all(listed[sku]["price"] == 41_000 and listed[sku]["stock"] == 5 for sku in SKUS[:4])
    assert all(listed[sku]["price"] == 40_000 and listed[sku]["stock"] == 30 for sku in SKUS[4:-2])


def _listed(fake) -> dict[str, dict]:
    if fake.name == "postmart":
        return {p["sku"]: {"price": p["price_vnd"], "stock": p["stock"]} for p in fake.live_products()}
    if fake.name == "voso":
        return {i["outer_id"]: {"price": i["price"], "stock": i["quantity"]} for i in fake.items.values()
                if i["status"] != "delisted"}
    return {p["ma_noi_bo"]: {"price": p["gia"], "stock": p["so_luong"]} for p in fake.live_products()}
