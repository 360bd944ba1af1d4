"""Listeners to order events: cash collected on COD orders counts toward the checkout's payment."""
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from marketplace.orders.models import Order, PaymentMethod
from marketplace.orders.signals import order_state_changed

from .models import Payment
from .services import payment_for_checkout


def cod_cash_recorded(sender, order, field, from_state, to_state, **kwargs) -> None:
    if field != "payment" or to_state != Order.Payment.PAID or order.checkout.payment_method != PaymentMethod.COD:
        return
    payment = payment_for_checkout(checkout=order.checkout)
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(received_vnd=F("received_vnd") + order.total_vnd)
        Payment.objects.filter(pk=payment.pk, state=Payment.State.PENDING, received_vnd__gte=F("amount_vnd")).update(
            state=Payment.State.SUCCEEDED, succeeded_at=timezone.now())


def connect() -> None:
    order_state_changed.connect(cod_cash_recorded, dispatch_uid="payments-cod-cash")
