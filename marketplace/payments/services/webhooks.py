"""Gateway webhook events: stored once by event id, then dispatched to a handler by type."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction

from ..gateways import ChargeResult, WebhookEvent
from ..models import GatewayEvent, PaymentAttempt
from .payments import attempt_apply

logger = logging.getLogger(__name__)


def _payment_intent_changed(event: WebhookEvent) -> str:
    attempt = PaymentAttempt.objects.filter(gateway_reference=event.reference).first() if event.reference else None
    if attempt is None:
        logger.warning("stripe event %s (%s) for an unknown payment %s", event.id, event.type, event.reference)
        return "unknown payment"
    obj = event.payload.get("data", {}).get("object", {})
    error = obj.get("last_payment_error") or {}
    result = ChargeResult(status=event.status, reference=event.reference, error_code=error.get("code") or "",
                          message=error.get("message") or "")
    before = attempt.state
    attempt = attempt_apply(attempt=attempt, result=result, event_created=event.created)
    return f"attempt {attempt.pk}: {before} → {attempt.state}"


HANDLERS: dict[str, Callable[[WebhookEvent], str]] = {
    "payment_intent.succeeded": _payment_intent_changed,
    "payment_intent.payment_failed": _payment_intent_changed,
    "payment_intent.canceled": _payment_intent_changed,
    "payment_intent.processing": _payment_intent_changed,
    "payment_intent.requires_action": _payment_intent_changed,
}


def gateway_event_handle(*, gateway: str, event: WebhookEvent) -> str:
    """Apply a verified event once. A redelivery (same id) does nothing; an unknown type is
    stored and logged. Returns what happened, for the log."""
    created = dt.datetime.fromtimestamp(event.created, tz=dt.UTC) if event.created else None
    with transaction.atomic():
        # Only the insert is a duplicate check: an integrity error inside a handler is a real
        # failure, so it rolls the event back and answers 500 for the gateway to deliver again.
        try:
            with transaction.atomic():
                record = GatewayEvent.objects.create(gateway=gateway, event_id=event.id, type=event.type, created=created,
                                                     payload=event.payload)
        except IntegrityError:
            logger.info("%s event %s received again: no effect", gateway, event.id)
            return "duplicate"
        handler = HANDLERS.get(event.type)
        if handler is None:
            logger.info("%s event %s of unhandled type %s", gateway, event.id, event.type)
            outcome = "ignored: unhandled type"
        else:
            outcome = handler(event)
        record.outcome = outcome[:255]
        record.save(update_fields=["outcome"])
    return outcome
