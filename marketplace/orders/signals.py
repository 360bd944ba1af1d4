"""Order events for listeners (notifications, connectors, livestream reports). Sent after commit.

- `checkout_placed(sender=Checkout, checkout=...)`: a checkout and its orders were created.
- `order_state_changed(sender=Order, order=..., field="fulfilment"|"payment", from_state=..., to_state=..., by=...)`.
"""
from django.dispatch import Signal

checkout_placed = Signal()
order_state_changed = Signal()
