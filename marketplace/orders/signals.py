"""Order events for listeners (connectors, payments, livestream reports). Sent after commit, so a
listener here may be lost with its process; the order notices are therefore not listeners but
recorded in the change's transaction (see `dispatches`).

- `checkout_placed(sender=Checkout, checkout=...)`: a checkout and its orders were created.
- `order_state_changed(sender=Order, order=..., field="fulfilment"|"payment", from_state=..., to_state=..., by=...)`.
"""
from django.dispatch import Signal

checkout_placed = Signal()
order_state_changed = Signal()
