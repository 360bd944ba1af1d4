"""Which notice tasks an order change records. Called inside the transaction that makes the
change, so the change and its `Dispatch` row commit together: a process that dies right after
the commit, before the task is enqueued, leaves the row, and the beat sweep enqueues the task."""
from marketplace import notifications

# `tasks` imports `services`, which imports this module: the tasks are looked up at call time only.
from . import tasks
from .models import Checkout, Order, OrderTransition
from .notices import BUYER_STATES, PAID_LATER


def checkout_notices_record(*, checkout: Checkout) -> None:
    """The buyer's confirmation and, for orders that need no payment first, the producers' "Đơn hàng mới"."""
    notifications.dispatch(key=f"orders:checkout:{checkout.pk}:placed", task=tasks.checkout_placed_notify, args=[checkout.pk])


def transition_notices_record(*, order: Order, field: str, to_state: str) -> None:
    """Shipped or cancelled: the buyer is told; a card or transfer order paid: its producer is."""
    checkout = order.checkout
    if field == OrderTransition.Field.FULFILMENT and to_state in BUYER_STATES and checkout.email:
        notifications.dispatch(key=f"orders:order:{order.pk}:{to_state}", task=tasks.order_state_notify,
                               args=[order.pk, to_state])
    elif field == OrderTransition.Field.PAYMENT and to_state == Order.Payment.PAID and checkout.payment_method in PAID_LATER:
        notifications.dispatch(key=f"orders:order:{order.pk}:paid", task=tasks.order_paid_notify, args=[order.pk])
