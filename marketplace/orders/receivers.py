"""Order events → notification tasks. The signals are sent after commit; each task is recorded as
a notice dispatch first, so a task lost with its worker (the embedded broker forgets a message
once handed out) is enqueued again by the beat sweep."""
from django.dispatch import receiver

from marketplace import notifications

from . import signals, tasks
from .models import Order, OrderTransition
from .notices import BUYER_STATES, PAID_LATER


@receiver(signals.checkout_placed)
def on_checkout_placed(sender, checkout, **kwargs):
    notifications.dispatch(key=f"orders:checkout:{checkout.pk}:placed", task=tasks.checkout_placed_notify, args=[checkout.pk])


@receiver(signals.order_state_changed)
def on_order_state_changed(sender, order, field, to_state, **kwargs):
    checkout = order.checkout
    if field == OrderTransition.Field.FULFILMENT and to_state in BUYER_STATES and checkout.email:
        notifications.dispatch(key=f"orders:order:{order.pk}:{to_state}", task=tasks.order_state_notify,
                               args=[order.pk, to_state])
    elif field == OrderTransition.Field.PAYMENT and to_state == Order.Payment.PAID and checkout.payment_method in PAID_LATER:
        notifications.dispatch(key=f"orders:order:{order.pk}:paid", task=tasks.order_paid_notify, args=[order.pk])
