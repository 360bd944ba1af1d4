"""Payment records and card attempts: create once, charge once per attempt key, apply results.

A payment that succeeds moves each of its orders' payment state to paid; an order that was
already cancelled (its reservation ran out before the money came) is refunded at once.
"""
from __future__ import annotations

import logging
import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.orders import services as orders
from marketplace.orders.models import Checkout, Order, OrderTransition

from ..gateways import ChargeResult, ChargeStatus, gateway_for
from ..models import Payment, PaymentAttempt

logger = logging.getLogger(__name__)

ATTEMPT_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
FINAL_ATTEMPT_STATES = (PaymentAttempt.State.SUCCEEDED, PaymentAttempt.State.CANCELLED)


class PaymentError(ValueError):
    """A payment request we refuse, with a Vietnamese message for the person who made it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def payment_for_checkout(*, checkout: Checkout) -> Payment:
    """The checkout's one payment record, created on first use (amount: the orders' totals)."""
    existing = Payment.objects.filter(checkout=checkout).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Payment.objects.create(checkout=checkout, method=checkout.payment_method, amount_vnd=checkout.total_vnd)
    except IntegrityError:  # created meanwhile by a concurrent request
        return Payment.objects.get(checkout=checkout)


def payment_card_pay(*, payment: Payment, payment_method: str, key: str) -> PaymentAttempt:
    """Charge the card once for this `key` (one per rendering of the pay form).

    A second submission with the same key returns the first attempt without calling Stripe:
    our unique key holds even where the gateway ignores idempotency keys."""
    seen = PaymentAttempt.objects.filter(key=key, payment=payment).first() if key else None
    if seen is not None:
        return seen
    _check_payable(payment, payment_method=payment_method, key=key)
    try:
        with transaction.atomic():
            attempt = PaymentAttempt.objects.create(payment=payment, key=key)
    except IntegrityError:
        attempt = PaymentAttempt.objects.filter(key=key, payment=payment).first()
        if attempt is None:
            raise PaymentError(_("Phiên thanh toán không hợp lệ. Vui lòng tải lại trang.")) from None
        return attempt
    result = gateway_for(payment.method).charge(
        amount_vnd=payment.amount_vnd, key=f"ocop-pay-{key}", payment_method=payment_method,
        metadata={"reference": payment.checkout.reference, "payment_id": str(payment.pk), "attempt": key},
    )
    return attempt_apply(attempt=attempt, result=result)


def _check_payable(payment: Payment, *, payment_method: str, key: str) -> None:
    if not ATTEMPT_KEY.match(key or ""):
        raise PaymentError(_("Phiên thanh toán không hợp lệ. Vui lòng tải lại trang."))
    if not payment_method or len(payment_method) > 255:
        raise PaymentError(_("Vui lòng nhập thông tin thẻ."))
    if payment.state == Payment.State.SUCCEEDED:
        raise PaymentError(_("Đơn hàng này đã được thanh toán."))
    if payment.state == Payment.State.CANCELLED or not _open_orders(payment).exists():
        raise PaymentError(_("Đơn hàng đã huỷ (hết thời gian giữ hàng), không thể thanh toán. Vui lòng đặt lại."))
    if payment.attempts.filter(state__in=[PaymentAttempt.State.CREATING, PaymentAttempt.State.PROCESSING]).exists():
        raise PaymentError(_("Một lần thanh toán đang được xử lý. Vui lòng chờ kết quả."))


def _open_orders(payment: Payment):
    return Order.objects.filter(checkout_id=payment.checkout_id).exclude(fulfilment_status=Order.Fulfilment.CANCELLED)


def attempt_apply(*, attempt: PaymentAttempt, result: ChargeResult, event_created: int = 0) -> PaymentAttempt:
    """Record what the gateway said about an attempt; a success pays the orders."""
    with transaction.atomic():
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        if not _may_move(attempt, result.status, event_created):
            return attempt
        attempt.state = result.status
        attempt.gateway_reference = result.reference or attempt.gateway_reference
        attempt.client_secret = result.client_secret or attempt.client_secret
        attempt.error_code, attempt.error_message = result.error_code[:64], result.message[:255]
        attempt.event_created = max(attempt.event_created, event_created)
        attempt.save()
        if result.status == ChargeStatus.SUCCEEDED:
            payment_receive(payment=attempt.payment, amount_vnd=attempt.payment.due_vnd,
                            note=_("Thanh toán thẻ thành công"))
    return attempt


def _may_move(attempt: PaymentAttempt, status: str, event_created: int) -> bool:
    if event_created and event_created < attempt.event_created:
        return False  # an older event arriving after a newer one
    if attempt.state in FINAL_ATTEMPT_STATES:
        return False  # succeeded and cancelled are final; a late "failed" changes nothing
    return status in PaymentAttempt.State.values


def payment_card_refresh(*, payment: Payment) -> PaymentAttempt | None:
    """Ask the gateway about the newest unfinished attempt (after 3-D Secure in the browser)."""
    attempt = payment.attempts.exclude(gateway_reference=None).order_by("-created_at", "-pk").first()
    if attempt is None or attempt.state in FINAL_ATTEMPT_STATES:
        return attempt
    result = gateway_for(payment.method).charge_status(reference=attempt.gateway_reference)
    if result.status == ChargeStatus.ERROR:
        return attempt  # unreachable: keep what we know; the webhook will tell us too
    return attempt_apply(attempt=attempt, result=result)


def payment_receive(*, payment: Payment, amount_vnd: int, by=None, note: str = "") -> Payment:
    """Money received for a payment; once the whole amount is in, every order becomes paid."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        payment.received_vnd += amount_vnd
        if payment.state == Payment.State.PENDING and payment.received_vnd >= payment.amount_vnd:
            payment.state, payment.succeeded_at = Payment.State.SUCCEEDED, timezone.now()
            payment.save()
            _orders_mark_paid(payment, by=by, note=note)
        else:
            payment.save()
    return payment


def _orders_mark_paid(payment: Payment, *, by, note: str) -> None:
    from .refunds import payment_refund  # refunds build on this module

    for order in Order.objects.filter(checkout_id=payment.checkout_id).order_by("pk"):
        if order.payment_status in (Order.Payment.UNPAID, Order.Payment.AUTHORISED):
            order = orders.order_transition(order=order, field=OrderTransition.Field.PAYMENT, to=Order.Payment.PAID, by=by, note=note)
        if order.fulfilment_status == Order.Fulfilment.CANCELLED and order.payment_status == Order.Payment.PAID:
            payment_refund(order=order, amount_vnd=order.total_vnd, by=by,
                           reason=_("Đơn đã huỷ trước khi nhận được tiền: hoàn lại toàn bộ"))


def payment_abandon(*, payment: Payment, by=None) -> Payment:
    """The buyer gives up paying: the orders are cancelled and their stock released."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.state != Payment.State.PENDING or payment.received_vnd:
            raise PaymentError(_("Không thể huỷ: đơn hàng đã nhận được tiền."))
        for order in _open_orders(payment).filter(payment_status=Order.Payment.UNPAID):
            orders.order_transition(order=order, field=OrderTransition.Field.FULFILMENT, to=Order.Fulfilment.CANCELLED,
                                    by=by, note=_("Người mua huỷ thanh toán"))
        payment.state = Payment.State.CANCELLED
        payment.save()
    return payment
