"""Order events → notification tasks (enqueued once the transaction has committed)."""
from django.db import transaction
from django.dispatch import receiver

from . import signals, tasks
from .models import Order, OrderTransition
from .notices import BUYER_STATES, PAID_LATER


@receiver(signals.checkout_placed)
def on_checkout_placed(sender, checkout, **kwargs):
    transaction.on_commit(lambda: tasks.checkout_placed_notify.delay(checkout.pk))


@receiver(signals.order_state_changed)
def on_order_state_changed(sender, order, field, to_state, **kwargs):
    checkout = order.checkout
    if field == OrderTransition.Field.FULFILMENT and to_state in BUYER_STATES and checkout.email:
        transaction.on_commit(lambda: tasks.order_state_notify.delay(order.pk, to_state))
    elif field == OrderTransition.Field.PAYMENT and to_state == Order.Payment.PAID and checkout.payment_method in PAID_LATER:
        transaction.on_commit(lambda: tasks.order_paid_notify.delay(order.pk))
