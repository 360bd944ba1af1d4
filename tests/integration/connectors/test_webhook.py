"""PostMart's signed webhook at /webhooks/postmart/: signature, 300 s window, replays."""
from __future__ import annotations

import json
import time

import pytest

from connectors.models import Binding, PlatformOrder, RemoteState
from marketplace.catalog import services as catalog
from tests.fakes.platforms.postmart import webhook_signature

from .conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db
URL = "/webhooks/postmart/"


def _post(client, event: dict, *, secret: str = WEBHOOK_SECRET, t: int | None = None):
    body = json.dumps(event, ensure_ascii=False).encode()
    return client.post(URL, body, content_type="application/json",
                       headers={"X-PostMart-Signature": webhook_signature(secret, body, t)})


@pytest.fixture
def listed(platforms, make_listing):
    make_listing(skus=[catalog.SkuData("GP-WH-1", "gói 500g", 80000, 500)], stock=6)
    platforms.sync()
    return Binding.objects.get(platform="postmart")


def _status_event(binding, status="rejected", reason="Ảnh mờ", event_id="evt_1"):
    return {"id": event_id, "type": "product.status_changed", "created_at": "2026-01-01T00:00:00+07:00",
            "data": {"id": binding.external_id, "sku": "GP-WH-1", "status": status, "reject_reason": reason}}


def test_a_signed_status_event_is_applied_once(client, listed):
    response = _post(client, _status_event(listed))
    assert response.status_code == 200 and response.json() == {"result": "handled"}
    listed.refresh_from_db()
    assert (listed.remote_status, listed.remote_reason) == (RemoteState.REJECTED, "Ảnh mờ")

    Binding.objects.filter(pk=listed.pk).update(remote_status=RemoteState.LIVE)
    replay = _post(client, _status_event(listed))
    assert replay.status_code == 200 and replay.json() == {"result": "duplicate"}
    listed.refresh_from_db()
    assert listed.remote_status == RemoteState.LIVE  # the replay changed nothing


def test_bad_signatures_and_stale_events_are_refused(client, listed):
    assert _post(client, _status_event(listed), secret="wrong").status_code == 400
    assert _post(client, _status_event(listed), t=int(time.time()) - 301).status_code == 400
    assert client.post(URL, b"{}", content_type="application/json").status_code == 400
    listed.refresh_from_db()
    assert listed.remote_status == RemoteState.PENDING_REVIEW


def test_order_events_store_the_order_and_cancel_it(client, platforms, listed, django_capture_on_commit_callbacks):
    order_id = platforms.postmart.add_order([("GP-WH-1", 2)])
    order = {**platforms.postmart._public_order(platforms.postmart.orders[order_id])}
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, {"id": "evt_o1", "type": "order.created", "created_at": order["created_at"],
                              "data": order}).status_code == 200
    row = PlatformOrder.objects.get(external_id=order_id)
    assert row.checkout_id and row.acknowledged_at is not None  # the ack task ran after commit
    platforms.postmart.cancel_order(order_id)
    cancelled = platforms.postmart._public_order(platforms.postmart.orders[order_id])
    assert _post(client, {"id": "evt_o2", "type": "order.cancelled", "created_at": order["created_at"],
                          "data": cancelled}).status_code == 200
    row.refresh_from_db()
    assert row.state == PlatformOrder.State.CANCELLED
