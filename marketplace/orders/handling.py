"""A producer's handling of an order beyond the two state tables: packing (a step inside
"confirmed", not a state) and cancelling a paid order with a refund.

Keyword-only and typed, like `services`; the admin views call these.
"""
from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Order, OrderTransition
from .services import OrderError, TransitionError, order_transition

log = logging.getLogger(__name__)
F, P = Order.Fulfilment, Order.Payment
REFUNDABLE = frozenset({P.PAID, P.PARTLY_REFUNDED})


class RefundError(OrderError):
    """The refund did not happen (the order may be cancelled already); it can be retried."""


def order_pack(*, order: Order, by=None) -> Order:
    """Record that the parcel is packed. Only a confirmed order that is not packed yet."""
    with transaction.atomic():
        locked = Order.objects.select_for_update(of=("self",)).select_related("checkout").get(pk=order.pk)
        if locked.fulfilment_status != F.CONFIRMED:
            raise TransitionError(_("Đơn %(order)s chỉ đóng gói được khi đã xác nhận (hiện: “%(state)s”).") % {
                "order": locked.checkout.reference, "state": locked.get_fulfilment_status_display()})
        if locked.packed_at is not None:
            raise TransitionError(_("Đơn %(order)s đã được đóng gói.") % {"order": locked.checkout.reference})
        locked.packed_at = timezone.now()
        locked.save(update_fields=["packed_at", "updated_at"])
        actor = by if by is not None and by.is_authenticated else None
        OrderTransition.objects.create(order=locked, field=OrderTransition.Field.FULFILMENT, from_state=F.CONFIRMED,
                                       to_state=F.CONFIRMED, by=actor, note=_("Đã đóng gói"))
    return locked


def order_refunded_vnd(*, order: Order) -> int:
    """What was already given back on this order (refund rows belong to payments)."""
    refunds = getattr(order, "refunds", None)
    if refunds is None:
        return 0
    return refunds.aggregate(total=Sum("amount_vnd"))["total"] or 0


def order_refundable_vnd(*, order: Order) -> int:
    """How much may still be refunded: nothing unless the order was paid."""
    if order.payment_status not in REFUNDABLE:
        return 0
    return max(order.total_vnd - order_refunded_vnd(order=order), 0)


def order_refund(*, order: Order, amount_vnd: int, by=None, reason: str = "") -> None:
    """Give money back on a paid order through the payments part (gateway or pay-out list)."""
    # Payments build on orders, so the import runs at call time, not when orders load.
    from marketplace.payments.services import PaymentError, payment_refund

    refundable = order_refundable_vnd(order=order)
    if not 1 <= amount_vnd <= refundable:
        raise TransitionError(_("Số tiền hoàn phải từ 1 đến %(max)s đồng.") % {"max": f"{refundable:,}".replace(",", ".")})
    try:
        payment_refund(order=order, amount_vnd=amount_vnd, by=by, reason=reason)
    except PaymentError as error:  # refused by the gateway, or the gateway unreachable
        log.warning("refund of %s đ on order %s refused: %s", amount_vnd, order.pk, error.message)
        raise RefundError(_("Chưa hoàn được tiền cho đơn %(order)s: %(error)s") % {
            "order": order.checkout.reference, "error": error.message}) from error


def order_cancel(*, order: Order, reason: str, by=None, refund_vnd: int | None = None) -> Order:
    """Cancel with a reason (stock comes back, see `order_transition`); a paid order is then
    refunded by `refund_vnd` (default: everything still refundable; 0: no refund now).

    The cancellation is committed before the refund is asked for: a gateway that fails leaves a
    cancelled, still-paid order whose refund can be retried, never a refund without a cancel."""
    reason = reason.strip()
    if not reason:
        raise TransitionError(_("Vui lòng nhập lý do huỷ đơn."))
    if refund_vnd is not None and order.payment_status in REFUNDABLE and refund_vnd > order_refundable_vnd(order=order):
        raise TransitionError(_("Số tiền hoàn phải từ 1 đến %(max)s đồng.") % {
            "max": f"{order_refundable_vnd(order=order):,}".replace(",", ".")})
    cancelled = order_transition(order=order, field=OrderTransition.Field.FULFILMENT, to=F.CANCELLED, by=by, note=reason)
    amount = order_refundable_vnd(order=cancelled) if refund_vnd is None else refund_vnd
    if amount > 0 and cancelled.payment_status in REFUNDABLE:
        try:
            order_refund(order=cancelled, amount_vnd=amount, by=by, reason=reason)
        except OrderError as error:
            raise RefundError(_("Đơn %(order)s đã huỷ nhưng chưa hoàn tiền. %(error)s Hãy thử “Hoàn tiền” lại.") % {
                "order": cancelled.checkout.reference, "error": error.message}) from error
        cancelled.refresh_from_db()
    return cancelled
