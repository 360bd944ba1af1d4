"""Webhooks: verify the signature, hand the event to one service, answer.

- `/webhooks/stripe/`: Stripe's `Stripe-Signature` (HMAC-SHA256 of `t.body`, tolerance window).
- `/webhooks/bank-transfer/`: a JSON credit `{date, amount_vnd, description, transaction_id}`
  with `X-Signature: sha256=<hex HMAC-SHA256 of the raw body with BANK_TRANSFER_WEBHOOK_SECRET>`.
A bad signature is 400 and changes nothing; a known event or transaction id again is 200, no effect.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .gateways import registry
from .gateways.stripe import StripeGateway
from .models import BankTransaction
from .statements import row_parse

logger = logging.getLogger(__name__)
MAX_BODY = 256 * 1024


@csrf_exempt
@require_POST
def stripe_webhook(request):
    gateway = next(g for g in registry.values() if isinstance(g, StripeGateway))
    if len(request.body) > MAX_BODY:
        return HttpResponse(status=413)
    event = gateway.webhook_event(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    if event is None:
        return HttpResponse("invalid signature", status=400, content_type="text/plain")
    outcome = services.gateway_event_handle(gateway="stripe", event=event)
    logger.info("stripe event %s %s: %s", event.id, event.type, outcome)
    return JsonResponse({"received": True, "outcome": outcome})


def bank_signature_valid(*, body: bytes, header: str, secret: str) -> bool:
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    given = header.strip().removeprefix("sha256=").strip().lower()
    return bool(secret) and hmac.compare_digest(expected, given)


@csrf_exempt
@require_POST
def bank_transfer_webhook(request):
    secret = settings.BANK_TRANSFER_WEBHOOK_SECRET
    if not secret:
        return JsonResponse({"error": "bank transfer notifications are not configured"}, status=503)
    if len(request.body) > MAX_BODY:
        return HttpResponse(status=413)
    if not bank_signature_valid(body=request.body, header=request.headers.get("X-Signature", ""), secret=secret):
        logger.warning("bank transfer webhook: bad signature")
        return JsonResponse({"error": "invalid signature"}, status=400)
    try:
        data = json.loads(request.body)
    except ValueError:
        return JsonResponse({"error": "body is not JSON"}, status=400)
    row, errors = row_parse(data if isinstance(data, dict) else {})
    if row is None:
        return JsonResponse({"error": "invalid fields", "fields": {field: reason for field, reason in errors}}, status=400)
    record, created = services.bank_transaction_record(row=row, source=BankTransaction.Source.WEBHOOK)
    return JsonResponse({"transaction_id": record.transaction_id, "status": record.status, "duplicate": not created})
