"""PostMart's signed webhook: verify, deduplicate by event id, dispatch to a handler per type."""
from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import registry
from ..exceptions import ConnectorError, FinalError
from ..models import Binding, Platform, WebhookEvent
from ..platforms import postmart
from .calls import REMOTE
from .orders import order_receive

logger = logging.getLogger(__name__)


class WebhookRejected(Exception):
    """Unsigned, badly signed, stale or malformed: answered 400, nothing done."""


def postmart_webhook_handle(*, raw_body: bytes, signature: str) -> str:
    """Returns 'handled' or 'duplicate'; raises WebhookRejected."""
    lanes = [lane for lane in registry.lanes(platform=Platform.POSTMART) if lane.webhook_secret]
    if not lanes:
        raise WebhookRejected("no PostMart webhook secret configured")
    lane = lanes[0]
    try:
        event = postmart.verify_webhook(secret=lane.webhook_secret, signature_header=signature, raw_body=raw_body)
    except FinalError as error:
        raise WebhookRejected(error.message) from error
    event_id, kind, data = event.get("id"), event.get("type"), event.get("data")
    if not isinstance(event_id, str) or not isinstance(data, dict):
        raise WebhookRejected("event without id or data")
    handler = HANDLERS.get(kind)
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookEvent.objects.create(platform=Platform.POSTMART, event_id=event_id)
        except IntegrityError:
            return "duplicate"
        if handler is not None:
            handler(lane, data)
    return "handled"


def _product_status(lane: registry.Lane, data: dict) -> None:
    status = postmart.STATUSES.get(data.get("status"))
    if status is None or not data.get("id"):
        return
    # Events may arrive out of order: a status event is a hint, so only bindings not being
    # rewritten (no work queued or in flight) take it.
    Binding.objects.filter(platform=lane.platform, account=lane.account, external_id=str(data["id"]), sync_state="idle").exclude(
        remote_status="delisted").update(remote_status=REMOTE[status], remote_reason=str(data.get("reject_reason") or ""),
                                         last_polled_at=timezone.now())


def _order(lane: registry.Lane, data: dict) -> None:
    try:
        order = postmart.parse_order(data)
    except ConnectorError as error:
        raise WebhookRejected(error.message) from error
    order_receive(lane=lane, order=order)
    if order.status.value == "new":
        transaction.on_commit(_ack_later(lane), robust=True)


def _ack_later(lane: registry.Lane):
    def enqueue():
        from ..tasks import acknowledge_orders

        acknowledge_orders.delay(lane.platform, lane.account)

    return enqueue


HANDLERS = {"product.status_changed": _product_status, "order.created": _order, "order.cancelled": _order}
