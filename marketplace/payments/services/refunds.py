"""Refunds per order: through the gateway for cards, recorded for the operator to pay out
for bank transfer and cash."""
from __future__ import annotations

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.orders import services as orders
from marketplace.orders.models import Order, OrderTransition

from ..gateways import gateway_for, registry
from ..gateways.base import ManualGateway
from ..models import PaymentAttempt, Refund
from .payments import PaymentError, payment_for_checkout


class RefundError(PaymentError):
    pass


def payment_refund(*, order: Order, amount_vnd: int, by=None, reason: str = "") -> Refund:
    """Give back `amount_vnd` (1 … what is left of the order's total) of a paid order.

    Card: refunded through Stripe now (a refusal raises RefundError and changes nothing).
    Transfer, COD, platform: a `to_pay_out` refund the operator pays and then marks paid out.
    The order's payment state becomes partly_refunded or refunded (logged, with `by`)."""
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("checkout").get(pk=order.pk)
        refunded = _refunded(order)
        _check_refundable(order, amount_vnd=amount_vnd, refunded=refunded)
        payment = payment_for_checkout(checkout=order.checkout)
        gateway = gateway_for(payment.method) if payment.method in registry else ManualGateway()
        attempt = payment.attempts.filter(state=PaymentAttempt.State.SUCCEEDED).first()
        result = gateway.refund(reference=attempt.gateway_reference if attempt else "", amount_vnd=amount_vnd,
                                key=f"ocop-refund-{order.pk}-{refunded}-{amount_vnd}")
        if not result.ok:
            raise RefundError(result.message)
        refund = Refund.objects.create(
            order=order, payment=payment, amount_vnd=amount_vnd, gateway_reference=result.reference,
            state=Refund.State.TO_PAY_OUT if result.manual else Refund.State.SUCCEEDED,
            reason=reason[:255], by=by if by is not None and by.is_authenticated else None,
        )
        to = Order.Payment.REFUNDED if refunded + amount_vnd == order.total_vnd else Order.Payment.PARTLY_REFUNDED
        if order.payment_status != to:
            note = _("Hoàn %(amount)s đồng") % {"amount": f"{amount_vnd:,}".replace(",", ".")}
            orders.order_transition(order=order, field=OrderTransition.Field.PAYMENT, to=to, by=by,
                                    note=f"{note}: {reason}"[:255] if reason else note)
    return refund


def _refunded(order: Order) -> int:
    return order.refunds.aggregate(total=Sum("amount_vnd"))["total"] or 0


def _check_refundable(order: Order, *, amount_vnd: int, refunded: int) -> None:
    if order.payment_status not in (Order.Payment.PAID, Order.Payment.PARTLY_REFUNDED):
        raise RefundError(_("Đơn %(order)s chưa được thanh toán nên không có gì để hoàn.") % {"order": order.checkout.reference})
    left = order.total_vnd - refunded
    if not isinstance(amount_vnd, int) or isinstance(amount_vnd, bool) or not 1 <= amount_vnd <= left:
        raise RefundError(_("Số tiền hoàn phải từ 1 đến %(left)s đồng.") % {"left": f"{left:,}".replace(",", ".")})


def refund_mark_paid_out(*, refund: Refund, by=None) -> Refund:
    """The operator has paid a manual refund back to the buyer."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.state != Refund.State.TO_PAY_OUT:
            raise RefundError(_("Khoản hoàn này không chờ chuyển trả."))
        refund.state, refund.paid_out_at = Refund.State.PAID_OUT, timezone.now()
        refund.save(update_fields=["state", "paid_out_at"])
    return refund
