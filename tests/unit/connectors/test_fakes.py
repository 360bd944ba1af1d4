"""The fakes' own controls: counters, slow answers, the HTTP control endpoints, review timing."""
from __future__ import annotations

import pytest

from connectors.base import RemoteStatus
from tests.fakes.platforms import FAULT_KINDS, PostMartFake, running
from tests.unit.connectors.conftest import content


def test_counters_and_slow_answers(pm, postmart):
    postmart.faults.next("slow", op="create")
    created = pm.create(content(), idempotency_key="k")  # slow, but inside the client's timeout
    pm.get_status(created.external_id)
    assert postmart.calls["create"] == 1 and postmart.write_calls == 1 and postmart.faults.injected["slow"] == 1
    postmart.reset_counters()
    pm.get_status(created.external_id)
    assert postmart.write_calls == 0 and postmart.total_calls == 1


def test_unknown_fault_kind_is_refused(postmart):
    with pytest.raises(ValueError):
        postmart.faults.next("gremlins")
    assert "lost" in FAULT_KINDS


def test_control_endpoints(session):
    with running(PostMartFake()) as fake:
        base = fake.url + "/_fake"
        assert session.post(base + "/config", json={"rate_limits": False, "review_after_reads": None}).ok
        assert fake.rate_limits is False and fake.review_after_reads is None
        order_id = session.post(base + "/orders", json={"lines": [["SKU-1", 2]]}).json()["id"]
        assert fake.orders[order_id]["lines"][0]["quantity"] == 2
        session.post(f"{base}/orders/{order_id}/cancel")
        assert fake.orders[order_id]["status"] == "cancelled"
        assert session.get(base + "/stats").json()["total_calls"] == 0  # controls are not counted


def test_review_by_time(pm, postmart):
    postmart.review_after_reads, postmart.review_after_seconds = None, 60
    created = pm.create(content(), idempotency_key="k")
    assert pm.get_status(created.external_id).status == RemoteStatus.PENDING
    postmart.clock_skew = 61
    pm._token_expires_at = 0  # the skewed clock expired nothing, but be explicit about a fresh token
    assert pm.get_status(created.external_id).status == RemoteStatus.LIVE
