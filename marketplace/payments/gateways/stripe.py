"""Card payments through Stripe — the only module that imports the Stripe SDK.

PaymentIntents are in VND, a zero-decimal currency: `amount` is in đồng. Every SDK error is
turned into a value (`ChargeResult`/`RefundResult` with a Vietnamese message); nothing from
`stripe` leaks out of this module. The API base is a setting, so tests point it at localstripe.
"""
from __future__ import annotations

import json
import logging
import time

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from marketplace.orders.models import PaymentMethod

from .base import ChargeResult, ChargeStatus, RefundResult, WebhookEvent

logger = logging.getLogger(__name__)

CURRENCY = "vnd"
_PI_STATUS = {
    "succeeded": ChargeStatus.SUCCEEDED,
    "requires_action": ChargeStatus.REQUIRES_ACTION,
    "requires_source_action": ChargeStatus.REQUIRES_ACTION,
    "processing": ChargeStatus.PROCESSING,
    "requires_confirmation": ChargeStatus.PROCESSING,
    "requires_capture": ChargeStatus.PROCESSING,
    "requires_payment_method": ChargeStatus.FAILED,
    "canceled": ChargeStatus.CANCELLED,
}
_EVENT_STATUS = {
    "payment_intent.succeeded": ChargeStatus.SUCCEEDED,
    "payment_intent.payment_failed": ChargeStatus.FAILED,
    "payment_intent.canceled": ChargeStatus.CANCELLED,
    "payment_intent.processing": ChargeStatus.PROCESSING,
    "payment_intent.requires_action": ChargeStatus.REQUIRES_ACTION,
}


def _decline_message(code: str) -> str:
    messages = {
        "insufficient_funds": _("Thẻ không đủ số dư. Vui lòng dùng thẻ khác."),
        "expired_card": _("Thẻ đã hết hạn. Vui lòng dùng thẻ khác."),
        "incorrect_cvc": _("Mã CVC không đúng."),
        "payment_intent_authentication_failure": _("Xác thực 3-D Secure không thành công. Vui lòng thử lại."),
    }
    return messages.get(code, _("Ngân hàng từ chối thẻ này. Vui lòng thử thẻ khác hoặc chọn chuyển khoản."))


def _unreachable() -> str:
    return _("Chưa kết nối được cổng thanh toán thẻ. Đơn hàng vẫn được giữ, vui lòng thử lại sau ít phút.")


class StripeGateway:
    method = PaymentMethod.CARD

    def is_available(self) -> bool:
        return not self.missing_settings()

    def missing_settings(self) -> list[str]:
        return [name for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY") if not getattr(settings, name)]

    def _client(self) -> stripe.StripeClient:
        return stripe.StripeClient(
            settings.STRIPE_SECRET_KEY, base_addresses={"api": settings.STRIPE_API_BASE}, max_network_retries=1,
            http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
        )

    def charge(self, *, amount_vnd: int, key: str, payment_method: str, metadata: dict[str, str]) -> ChargeResult:
        """Create and confirm one PaymentIntent with the buyer's payment method (from Stripe.js)."""
        params = {"amount": amount_vnd, "currency": CURRENCY, "payment_method": payment_method, "confirm": True,
                  "metadata": metadata}
        return self._call(lambda client: client.v1.payment_intents.create(params=params, options={"idempotency_key": key}))

    def charge_status(self, *, reference: str) -> ChargeResult:
        return self._call(lambda client: client.v1.payment_intents.retrieve(reference))

    def refund(self, *, reference: str, amount_vnd: int, key: str) -> RefundResult:
        try:
            refund = self._client().v1.refunds.create(
                params={"payment_intent": reference, "amount": amount_vnd}, options={"idempotency_key": key})
        except stripe.APIConnectionError:
            logger.warning("stripe unreachable for refund of %s", reference)
            return RefundResult(ok=False, message=_unreachable())
        except stripe.StripeError as error:
            logger.warning("stripe refused refund of %s: %s", reference, error)
            return RefundResult(ok=False, message=_("Cổng thanh toán từ chối hoàn tiền: %(reason)s") % {"reason": error.user_message or error.code or ""})
        if refund.status not in ("succeeded", "pending"):
            return RefundResult(ok=False, reference=refund.id, message=_("Cổng thanh toán chưa hoàn tiền (trạng thái %(status)s).") % {"status": refund.status})
        return RefundResult(ok=True, reference=refund.id)

    def _call(self, request) -> ChargeResult:
        try:
            intent = request(self._client())
        except stripe.CardError as error:
            reference = ((error.json_body or {}).get("error") or {}).get("payment_intent", {}) or {}
            return ChargeResult(status=ChargeStatus.FAILED, reference=reference.get("id", "") if isinstance(reference, dict) else "",
                                error_code=error.code or "card_declined", message=_decline_message(error.code or ""))
        except stripe.APIConnectionError as error:
            logger.warning("stripe unreachable: %s", error)
            return ChargeResult(status=ChargeStatus.ERROR, error_code="unreachable", message=_unreachable())
        except stripe.StripeError as error:
            logger.error("stripe error: %s", error)
            return ChargeResult(status=ChargeStatus.ERROR, error_code=error.code or type(error).__name__,
                                message=_("Cổng thanh toán thẻ báo lỗi. Vui lòng thử lại hoặc chọn chuyển khoản."))
        return _intent_result(intent)

    def webhook_event(self, *, payload: bytes, signature: str) -> WebhookEvent | None:
        """The verified event, or None for a missing, forged or stale signature (outside the
        tolerance window either way: a replayed old delivery is stale)."""
        secret, tolerance = settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_WEBHOOK_TOLERANCE
        if not secret or not signature:
            return None
        try:
            event = stripe.Webhook.construct_event(payload.decode("utf-8"), signature, secret, tolerance=tolerance)
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as error:
            logger.warning("stripe webhook refused: %s", error)
            return None
        if abs(time.time() - _signed_at(signature)) > tolerance:  # the SDK accepts future times
            logger.warning("stripe webhook refused: timestamp outside tolerance")
            return None
        data = json.loads(payload)
        obj = (data.get("data") or {}).get("object") or {}
        return WebhookEvent(id=event.id, type=event.type, created=int(data.get("created") or 0),
                            reference=obj.get("id", "") if obj.get("object") == "payment_intent" else "",
                            status=_EVENT_STATUS.get(event.type, ""), payload=data)


def _signed_at(header: str) -> int:
    for part in header.split(","):
        name, _sep, value = part.partition("=")
        if name.strip() == "t" and value.strip().isdigit():
            return int(value)
    return 0


def _intent_result(intent) -> ChargeResult:
    status = _PI_STATUS.get(intent.status, ChargeStatus.PROCESSING)
    error = intent.to_dict().get("last_payment_error") or {}
    code = error.get("code", "") if status == ChargeStatus.FAILED else ""
    return ChargeResult(status=status, reference=intent.id, client_secret=intent.client_secret or "",
                        amount_vnd=int(intent.amount or 0), error_code=code,
                        message=_decline_message(code) if status == ChargeStatus.FAILED else "")
