"""PostMart adapter against the fake PostMart over real HTTP."""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from connectors.base import OrderStatus, RemoteStatus
from connectors.exceptions import FinalError, NotFound, RateLimited, RetryableError
from connectors.platforms.postmart import PostMartAdapter, verify_webhook
from tests.fakes.platforms import PostMartFake, running
from tests.fakes.platforms.postmart import webhook_signature
from tests.unit.connectors.conftest import content

NOW = dt.datetime.now(dt.timezone.utc)
SINCE, UNTIL = NOW - dt.timedelta(hours=1), NOW + dt.timedelta(hours=1)


def test_listing_lifecycle(pm, postmart):
    created = pm.create(content(), idempotency_key="k-1")
    assert created.status == RemoteStatus.PENDING and created.external_id.startswith("pm_")
    product = postmart.products[created.external_id]
    assert product["category_id"] == 15 and product["price_vnd"] == 45_000  # "Thực phẩm" by name

    assert pm.get_status(created.external_id).status == RemoteStatus.LIVE  # reviewed on the first read
    pm.set_stock(created.external_id, 7)
    assert product["stock"] == 7 and product["status"] == "active"
    assert pm.update(created.external_id, content(price_vnd=47_000)).status == RemoteStatus.PENDING
    assert product["price_vnd"] == 47_000

    postmart.set_status(created.external_id, "rejected", "Ảnh không rõ")
    status = pm.get_status(created.external_id)
    assert (status.status, status.reason) == (RemoteStatus.REJECTED, "Ảnh không rõ")

    pm.delist(created.external_id)
    pm.delist(created.external_id)  # already gone is fine
    with pytest.raises(NotFound):
        pm.get_status(created.external_id)
    again = pm.relist(created.external_id, content(), idempotency_key="k-2")
    assert again.external_id != created.external_id and len(postmart.live_products()) == 1


def test_categories_are_read_once_and_fall_back_to_khac(pm, postmart):
    pm.create(content(category_name="thực phẩm"), idempotency_key="a")
    pm.create(content(sku="X-2", category_name="Gốm sứ"), idempotency_key="b")
    assert postmart.product_by_sku("X-2")["category_id"] == 90
    assert postmart.calls["categories"] == 1


def test_create_after_a_lost_answer_makes_no_duplicate(pm, postmart):
    postmart.faults.next("lost", op="create")
    with pytest.raises(RetryableError):
        pm.create(content(), idempotency_key="k-lost")
    assert len(postmart.live_products()) == 1  # the platform did commit
    again = pm.create(content(), idempotency_key="k-lost")
    assert again.external_id == postmart.live_products()[0]["id"]
    assert len(postmart.live_products()) == 1


def test_create_with_another_key_adopts_the_listed_sku(pm, postmart):
    first = pm.create(content(), idempotency_key="k-1")
    postmart.reset_counters()
    same = pm.create(content(), idempotency_key="k-other")  # 409 sku_exists, same content: no write
    assert same.external_id == first.external_id and postmart.calls["update"] == 0
    changed = pm.create(content(price_vnd=50_000), idempotency_key="k-third")  # stale content is replaced
    assert changed.external_id == first.external_id and postmart.calls["update"] == 1
    assert postmart.products[first.external_id]["price_vnd"] == 50_000 and len(postmart.live_products()) == 1


def test_reused_key_with_changed_content_still_converges(pm, postmart):
    postmart.faults.next("lost_5xx", op="create")
    with pytest.raises(RetryableError):
        pm.create(content(), idempotency_key="k-1")
    result = pm.create(content(price_vnd=52_000), idempotency_key="k-1")  # 422 idempotency_key_reused → 409 → PUT
    assert len(postmart.live_products()) == 1
    assert postmart.products[result.external_id]["price_vnd"] == 52_000


def test_revoked_token_is_renewed_once(pm, postmart):
    pm.get_status(pm.create(content(), idempotency_key="k").external_id)
    postmart.revoke_tokens()
    pm.set_stock(postmart.live_products()[0]["id"], 3)
    assert postmart.calls["auth"] == 2


def test_expired_token_is_renewed(postmart, session):
    postmart.token_ttl = 1
    adapter = PostMartAdapter(base_url=postmart.url, client_id=postmart.client_id,
                              client_secret=postmart.client_secret, session=session)
    adapter.categories.lookup("Trà")
    adapter._token_expires_at = float("inf")  # our cache believes it; the platform does not
    postmart.clock_skew = 5
    assert adapter.create(content(), idempotency_key="k").external_id
    assert postmart.calls["auth"] == 2


def test_bad_credentials_are_final(postmart, session):
    adapter = PostMartAdapter(base_url=postmart.url, client_id=postmart.client_id, client_secret="wrong",
                              session=session)
    with pytest.raises(FinalError, match="invalid_client"):
        adapter.create(content(), idempotency_key="k")


def test_validation_errors_are_final_with_the_platform_text(pm):
    with pytest.raises(FinalError) as caught:
        pm.create(content(price_vnd=0), idempotency_key="k")
    assert caught.value.field == "price_vnd" and "price_vnd: phải là số nguyên > 0" in caught.value.message
    assert not isinstance(caught.value, RetryableError)


@pytest.mark.parametrize("kind", ["5xx", "html", "malformed", "timeout", "lost_5xx"])
def test_temporary_failures_are_retryable(pm, postmart, kind):
    pm.categories.lookup("Trà")
    postmart.faults.next(kind, op="create")
    with pytest.raises(RetryableError) as caught:
        pm.create(content(), idempotency_key="k")
    assert not isinstance(caught.value, RateLimited)


def test_429_is_rate_limited_with_retry_after(pm, postmart):
    postmart.faults.next("429", op="get")
    with pytest.raises(RateLimited) as caught:
        pm.get_status("pm_1")
    assert caught.value.retry_after == 1.0


def test_the_published_rate_limit_holds_per_client(session):
    with running(PostMartFake(rate_limits=True)) as fake:
        adapter = PostMartAdapter(base_url=fake.url, client_id=fake.client_id, client_secret=fake.client_secret,
                                  session=session)
        with pytest.raises(RateLimited):
            for _ in range(30):
                with pytest.raises(NotFound):
                    adapter.get_status("pm_missing")
        assert fake.rate_limited >= 1


def test_malformed_success_answer_is_retryable(pm, postmart):
    pm.categories.lookup("Trà")
    postmart.before_call = None
    created = pm.create(content(), idempotency_key="k")
    postmart.products[created.external_id]["status"] = "weird"
    with pytest.raises(RetryableError, match="malformed"):
        pm.get_status(created.external_id)


def test_orders_new_and_cancelled_with_paging(pm, postmart):
    pm.create(content(), idempotency_key="k")
    order_ids = [postmart.add_order([("GP-CHUOI-200", 1 + i % 3)]) for i in range(60)]
    orders = list(pm.list_orders(since=SINCE, until=UNTIL))
    assert [o.external_id for o in orders] == order_ids  # two pages of 50
    first = orders[0]
    assert first.status == OrderStatus.NEW and first.lines[0].sku == "GP-CHUOI-200"
    assert first.lines[0].unit_price_vnd == 45_000 and first.total_vnd == 45_000 and first.created_at.tzinfo

    pm.acknowledge_order(order_ids[0])
    postmart.cancel_order(order_ids[0])  # the buyer cancels after acknowledgement
    postmart.cancel_order(order_ids[1])
    pm.acknowledge_order(order_ids[2])
    listed = {(o.external_id, o.status) for o in pm.list_orders(since=SINCE, until=UNTIL)}
    assert (order_ids[0], OrderStatus.CANCELLED) in listed and (order_ids[1], OrderStatus.CANCELLED) in listed
    assert not {oid for oid, _ in listed} & {order_ids[2]}
    assert len(listed) == 59
    with pytest.raises(NotFound):
        pm.acknowledge_order("po_unknown")


def test_orders_after_until_are_left_for_later(pm, postmart):
    postmart.add_order([("GP-CHUOI-200", 1)])
    assert list(pm.list_orders(since=SINCE, until=NOW - dt.timedelta(minutes=30))) == []


def test_webhook_signature():
    body = json.dumps({"id": "evt_1", "type": "product.status_changed", "data": {"id": "pm_1"}}).encode()
    header = webhook_signature("whsec", body)
    assert verify_webhook(secret="whsec", signature_header=header, raw_body=body)["id"] == "evt_1"
    with pytest.raises(FinalError, match="bad signature"):
        verify_webhook(secret="whsec", signature_header=header, raw_body=body + b" ")
    with pytest.raises(FinalError, match="300"):
        verify_webhook(secret="whsec", signature_header=webhook_signature("whsec", body, int(time.time()) - 301),
                       raw_body=body)
    with pytest.raises(FinalError):
        verify_webhook(secret="whsec", signature_header="", raw_body=body)
