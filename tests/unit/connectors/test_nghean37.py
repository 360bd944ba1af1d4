"""37nghean adapter against the fake portal over real HTTP."""
from __future__ import annotations

import datetime as dt

import pytest

from connectors.base import OrderStatus, RemoteStatus
from connectors.exceptions import FinalError, NotFound, RateLimited, RetryableError
from connectors.platforms.nghean37 import NgheAn37Adapter
from tests.unit.connectors.conftest import content

NOW = dt.datetime.now(dt.timezone.utc)
SINCE, UNTIL = NOW - dt.timedelta(hours=1), NOW + dt.timedelta(minutes=5)


def test_listing_lifecycle(na, nghean37):
    created = na.create(content(price_vnd=120_000), idempotency_key="k")
    assert created.status == RemoteStatus.PENDING and created.external_id.isdigit()
    product = nghean37.products[int(created.external_id)]
    assert product["gia"] == 120_000 and product["ma_xa"] == "02923" and product["hang_sao_ocop"] == 4

    live = na.get_status(created.external_id)  # "120.000" and "dd/mm/yyyy HH:MM" parsed
    assert (live.status, live.price_vnd) == (RemoteStatus.LIVE, 120_000)
    assert live.updated_at.utcoffset() == dt.timedelta(hours=7) and abs(live.updated_at - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=2)

    assert na.supports_stock_only is False
    na.set_stock(created.external_id, 9)  # no stock call: read, then a full PUT
    assert product["so_luong"] == 9 and product["trang_thai"] == "cho_duyet"
    assert nghean37.calls["update"] == 1
    na.update(created.external_id, content(price_vnd=125_000))
    assert product["gia"] == 125_000

    nghean37.reject(created.external_id, "Thiếu giấy chứng nhận OCOP")
    rejected = na.get_status(created.external_id)
    assert (rejected.status, rejected.reason) == (RemoteStatus.REJECTED, "Thiếu giấy chứng nhận OCOP")

    na.delist(created.external_id)
    na.delist(created.external_id)
    with pytest.raises(NotFound):
        na.get_status(created.external_id)
    again = na.relist(created.external_id, content(), idempotency_key="k2")  # posted again: a new ma
    assert again.external_id != created.external_id and len(nghean37.live_products()) == 1


def test_create_after_a_lost_answer_makes_no_duplicate(na, nghean37):
    nghean37.faults.next("lost", op="create")
    with pytest.raises(RetryableError):
        na.create(content(), idempotency_key="k")
    nghean37.reset_counters()
    again = na.create(content(), idempotency_key="k")  # 409 {"ma"} → same content → no write
    assert [p["ma"] for p in nghean37.live_products()] == [int(again.external_id)]
    assert nghean37.calls["update"] == 0
    na.create(content(stock=1), idempotency_key="k3")
    assert nghean37.calls["update"] == 1 and nghean37.live_products()[0]["so_luong"] == 1


def test_keys_are_per_commune(nghean37, session):
    wrong = NgheAn37Adapter(base_url=nghean37.url, api_key="sai", session=session)
    with pytest.raises(FinalError, match="khóa không hợp lệ"):
        wrong.create(content(), idempotency_key="k")
    other = NgheAn37Adapter(base_url=nghean37.url, api_key=nghean37.key_for("16941"), session=session)
    with pytest.raises(FinalError, match="ngoài phạm vi xã"):
        other.create(content(), idempotency_key="k")


def test_validation_errors_are_final_with_field_and_text(na):
    with pytest.raises(FinalError) as caught:
        na.create(content(unit=" "), idempotency_key="k")
    assert caught.value.field == "don_vi_tinh" and caught.value.message == "don_vi_tinh: đơn vị tính bắt buộc"


@pytest.mark.parametrize(("kind", "error"), [("429", RateLimited), ("5xx", RetryableError), ("html", RetryableError),
                                              ("malformed", RetryableError), ("timeout", RetryableError)])
def test_error_classification(na, nghean37, kind, error):
    nghean37.faults.next(kind)
    with pytest.raises(error) as caught:
        na.get_status("4701")
    if kind == "429":
        assert caught.value.retry_after == 1.0  # the portal gives no Retry-After
    else:
        assert not isinstance(caught.value, RateLimited)


def test_malformed_answers_are_retryable(na, nghean37):
    created = na.create(content(), idempotency_key="k")
    product = nghean37.products[int(created.external_id)]
    product["gia"] = "12,5"
    with pytest.raises(RetryableError, match="malformed"):
        na.get_status(created.external_id)
    product.update(gia=45_000, trang_thai="không rõ")
    with pytest.raises(RetryableError):
        na.get_status(created.external_id)


def test_orders_by_day_with_pages_and_cancellations(na, nghean37):
    na.create(content(), idempotency_key="k")
    made = [nghean37.add_order([("GP-CHUOI-200", 1 + i % 2)], at=NOW.timestamp() - 60 * i) for i in range(45)]
    nghean37.add_order([("GP-CHUOI-200", 1)], at=(NOW - dt.timedelta(days=3)).timestamp())  # outside the days asked
    orders = list(na.list_orders(since=SINCE, until=UNTIL))
    assert {o.external_id for o in orders} == set(made) and len(orders) == 45  # 3 pages of 20
    assert nghean37.calls["list_orders"] == 3
    first = next(o for o in orders if o.external_id == made[0])
    assert first.lines[0].unit_price_vnd == 45_000 and first.total_vnd == 45_000  # "45.000" parsed
    assert first.created_at.utcoffset() == dt.timedelta(hours=7) and first.buyer_name == "Lê Văn Cường"

    na.acknowledge_order(made[0])
    na.acknowledge_order(made[1])
    nghean37.cancel_order(made[1])
    listed = {o.external_id: o.status for o in na.list_orders(since=SINCE, until=UNTIL)}
    assert made[0] not in listed and listed[made[1]] == OrderStatus.CANCELLED and len(listed) == 44
    with pytest.raises(NotFound):
        na.acknowledge_order("DH-unknown")


def test_the_published_rate_limit_is_per_key(nghean37, na, session):
    nghean37.rate_limits = True
    with pytest.raises(RateLimited):
        for _ in range(10):
            with pytest.raises(NotFound):
                na.get_status("1")
    other = NgheAn37Adapter(base_url=nghean37.url, api_key=nghean37.key_for("16941"), session=session)
    with pytest.raises(NotFound):
        other.get_status("1")  # another commune's key has its own budget
