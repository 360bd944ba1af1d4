"""Voso adapter against the fake Voso over real HTTP."""
from __future__ import annotations

import datetime as dt

import pytest

from connectors.base import OrderStatus, RemoteStatus
from connectors.exceptions import FinalError, NotFound, RateLimited, RetryableError
from connectors.platforms.voso import VosoAdapter
from tests.unit.connectors.conftest import content

NOW = dt.datetime.now(dt.timezone.utc)
SINCE, UNTIL = NOW - dt.timedelta(hours=2), NOW + dt.timedelta(hours=1)


def test_listing_lifecycle(vs, voso):
    created = vs.create(content(price_vnd=45_049, name="Chuối sấy 🍌 Gia Phú"), idempotency_key="k")
    assert (created.status, created.price_vnd) == (RemoteStatus.PENDING, 45_000)  # the producer is shown this
    item = voso.items[created.external_id]
    assert item["price"] == 45_000 and item["title"] == "Chuối sấy Gia Phú" and item["cat_code"] == "KHAC"

    assert vs.get_status(created.external_id).status == RemoteStatus.LIVE
    vs.set_stock(created.external_id, 4)
    assert item["quantity"] == 4
    assert vs.update(created.external_id, content(price_vnd=48_000)).price_vnd == 48_000

    voso.ban(created.external_id, "Hình ảnh vi phạm")
    banned = vs.get_status(created.external_id)
    assert (banned.status, banned.reason) == (RemoteStatus.REJECTED, "Hình ảnh vi phạm")
    vs.update(created.external_id, content())
    assert item["status"] == "reviewing"  # an update of a banned item goes back to review

    vs.delist(created.external_id)
    vs.delist(created.external_id)  # 2004 for a delisted item: fine
    assert vs.get_status(created.external_id).status == RemoteStatus.DELISTED
    with pytest.raises(NotFound):
        vs.set_stock(created.external_id, 1)
    relisted = vs.relist(created.external_id, content(price_vnd=39_990), idempotency_key="k2")
    assert relisted.external_id == created.external_id and item["status"] == "reviewing" and item["price"] == 40_000
    assert voso.calls["relist"] == 1 and len(voso.items) == 1


def test_categories_map_by_name(vs, voso):
    vs.create(content(category_name="Đồ uống"), idempotency_key="a")
    vs.create(content(sku="S-2", category_name="Đồ UỐNG"), idempotency_key="b")
    assert {i["cat_code"] for i in voso.items.values()} == {"DU-02"} and voso.calls["categories"] == 1


def test_create_after_a_lost_answer_resolves_outer_id(vs, voso):
    voso.faults.next("lost", op="create")
    with pytest.raises(RetryableError):
        vs.create(content(), idempotency_key="k")
    again = vs.create(content(stock=12), idempotency_key="k")  # "outer_id: đã tồn tại" → that item, updated
    assert list(voso.items) == [again.external_id] and voso.items[again.external_id]["quantity"] == 12


def test_create_of_a_delisted_outer_id_relists_it(vs, voso):
    first = vs.create(content(), idempotency_key="k")
    vs.delist(first.external_id)
    again = vs.create(content(), idempotency_key="k2")
    assert again.external_id == first.external_id and voso.items[first.external_id]["status"] == "reviewing"


def test_bad_signature_is_final(voso, session):
    adapter = VosoAdapter(base_url=voso.url, app_key=voso.app_key, app_secret="nope", shop_id=voso.shop_id,
                          session=session)
    with pytest.raises(FinalError, match="1001|chữ ký"):
        adapter.get_status("1")


def test_clock_offset_is_learnt_from_the_platform(vs, voso):
    voso.clock_skew = -900
    assert vs.create(content(), idempotency_key="k").external_id
    assert abs(vs.clock_offset + 900) < 5
    assert voso.calls["categories"] == 2 and voso.calls["create"] == 1  # one refused (1002), then fine


def test_validation_error_carries_the_platform_text(vs, voso):
    with pytest.raises(FinalError) as caught:
        vs.call("item.add", {**_raw_item(), "title": "Mật ong 🐝 rừng"})
    assert caught.value.message == "title: tiêu đề có ký tự đặc biệt" and caught.value.field == "title"
    with pytest.raises(FinalError, match="price: giá phải là bội số của 100"):
        vs.call("item.add", {**_raw_item(), "price": 45_050})


def test_weight_is_required_before_any_call(vs, voso):
    with pytest.raises(FinalError):
        vs.create(content(weight_gram=None), idempotency_key="k")
    assert voso.calls["create"] == 0


@pytest.mark.parametrize(("kind", "error"), [("429", RateLimited), ("busy", RetryableError), ("5xx", RetryableError),
                                              ("html", RetryableError), ("malformed", RetryableError),
                                              ("timeout", RetryableError)])
def test_error_classification(vs, voso, kind, error):
    voso.faults.next(kind, op="get")
    with pytest.raises(error) as caught:
        vs.get_status("1")
    if kind == "429":
        assert caught.value.retry_after == 1.0
    else:
        assert not isinstance(caught.value, RateLimited)


def test_unknown_item_is_not_found(vs):
    with pytest.raises(NotFound):
        vs.get_status("404404")


def test_orders_arriving_between_pages_are_neither_lost_nor_doubled(vs, voso):
    vs.create(content(), idempotency_key="k")
    base = int(NOW.timestamp()) - 3600
    first = [voso.add_order([("GP-CHUOI-200", 1)], at=base + i) for i in range(120)]
    late: list[str] = []

    def arrive(op, request):
        if op == "list_orders" and not late and '"page":2' in request.form()["data"]:
            late.extend(voso.add_order([("GP-CHUOI-200", 2)]) for _ in range(7))

    voso.before_call = arrive
    orders = []
    for order in vs.list_orders(since=SINCE, until=UNTIL):
        orders.append(order)
        vs.acknowledge_order(order.external_id)  # confirming while reading must not hide others
    ids = [o.external_id for o in orders]
    assert len(ids) == len(set(ids)) == 127 and set(ids) == set(first) | set(late)
    assert all(o.status == OrderStatus.NEW for o in orders)
    assert orders[0].lines[0].unit_price_vnd == 45_000 and orders[0].created_at.tzinfo


def test_cancelled_orders_are_listed(vs, voso):
    vs.create(content(), idempotency_key="k")
    kept, cancelled = voso.add_order([("GP-CHUOI-200", 1)]), voso.add_order([("GP-CHUOI-200", 2)])
    vs.acknowledge_order(cancelled)
    voso.cancel_order(cancelled)
    listed = {(o.external_id, o.status) for o in vs.list_orders(since=SINCE, until=UNTIL)}
    assert listed == {(kept, OrderStatus.NEW), (cancelled, OrderStatus.CANCELLED)}
    with pytest.raises(NotFound):
        vs.acknowledge_order("VS-unknown")


def test_crowded_windows_are_split(vs, voso, monkeypatch):
    import connectors.platforms.voso as module
    monkeypatch.setattr(module, "WINDOW_MAX_ORDERS", 40)
    base = int(NOW.timestamp()) - 3000
    made = {voso.add_order([("A", 1)], at=base + i * 20) for i in range(130)}
    assert {o.external_id for o in vs.list_orders(since=SINCE, until=UNTIL)} == made
    assert voso.calls["list_orders"] > 4


def _raw_item() -> dict:
    return {"outer_id": "RAW-1", "title": "Mật ong", "cat_code": "KHAC", "price": 45_000, "quantity": 1,
            "weight_gram": 100, "images": [], "description": "", "ocop_star": 0}


def test_the_published_rate_limit_answers_4290(voso, vs):
    voso.rate_limits = True
    with pytest.raises(RateLimited) as caught:
        for _ in range(20):
            with pytest.raises(NotFound):
                vs.get_status("404404")
    assert caught.value.retry_after == 1.0 and voso.rate_limited >= 1
