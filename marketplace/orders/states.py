"""The two state machines of an order, as explicit tables: state → states it may move to."""
from .models import Order

F, P = Order.Fulfilment, Order.Payment

FULFILMENT_MOVES: dict[str, frozenset[str]] = {
    F.PLACED: frozenset({F.CONFIRMED, F.CANCELLED}),
    F.CONFIRMED: frozenset({F.SHIPPED, F.CANCELLED}),
    # A shipment the buyer refuses comes back: cancelling it returns the units to stock.
    F.SHIPPED: frozenset({F.DELIVERED, F.CANCELLED}),
    F.DELIVERED: frozenset({F.COMPLETED}),
    F.COMPLETED: frozenset(),
    F.CANCELLED: frozenset(),
}

PAYMENT_MOVES: dict[str, frozenset[str]] = {
    P.UNPAID: frozenset({P.AUTHORISED, P.PAID}),
    # An authorisation that is voided or fails to capture leaves the order unpaid again.
    P.AUTHORISED: frozenset({P.PAID, P.UNPAID}),
    P.PAID: frozenset({P.PARTLY_REFUNDED, P.REFUNDED}),
    P.PARTLY_REFUNDED: frozenset({P.REFUNDED}),
    P.REFUNDED: frozenset(),
}
