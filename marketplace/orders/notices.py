"""What buyers and producers are told about orders, sent once each.

Buyer (when an e-mail was given): the confirmation with the private order link, then a mail
when an order ships or is cancelled. Producer (the e-mail of each of its users): "Đơn hàng
mới" with the lines and a link to the order in the admin — at once for COD (and platform)
orders, when the payment arrives for card and transfer orders.

Every message is keyed (`NotificationLog.key`); the key's row is written in the same
transaction as the send, so a retried task skips what was sent and a failed send leaves no row.
"""
from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from marketplace.notifications import Recipient, notify

from .models import Checkout, NotificationLog, Order, PaymentMethod

PAID_LATER = frozenset({PaymentMethod.CARD, PaymentMethod.TRANSFER})
BUYER_STATES = {Order.Fulfilment.SHIPPED: "order_shipped_buyer", Order.Fulfilment.CANCELLED: "order_cancelled_buyer"}


class NotificationFailed(RuntimeError):
    """Some messages could not be sent; a retry sends only those."""


def order_link(*, checkout: Checkout) -> str:
    """The buyer's private, absolute link to the checkout's order page."""
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("orders:order", kwargs={"token": checkout.access_token})
    return settings.SITE_BASE_URL.rstrip("/") + path


def order_admin_link(*, order: Order) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("orders_admin_detail", args=[order.pk])


def checkout_placed_notify(*, checkout_id: int) -> int:
    """Confirmation to the buyer; "new order" to producers of orders that need no payment first.
    Returns how many messages were sent now."""
    checkout = Checkout.objects.select_related("commune__parent").get(pk=checkout_id)
    orders = list(checkout.orders.select_related("producer").prefetch_related("lines"))
    results = []
    if checkout.email:
        context = {"checkout": checkout, "orders": orders, "link": order_link(checkout=checkout)}
        results.append(_send_once(key=f"checkout:{checkout.pk}:placed", checkout=checkout, template="order_placed_buyer",
                                  recipient=Recipient(name=checkout.buyer_name, email=checkout.email), context=context))
    if checkout.payment_method not in PAID_LATER:
        results += [_producer_new(order=order, checkout=checkout) for order in orders]
    return _tally(results)


def order_paid_notify(*, order_id: int) -> int:
    """A card or transfer order was paid: now its producer prepares it."""
    order = Order.objects.select_related("checkout__commune__parent", "producer").get(pk=order_id)
    if order.checkout.payment_method not in PAID_LATER:
        return 0
    return _tally([_producer_new(order=order, checkout=order.checkout)])


def order_state_notify(*, order_id: int, to_state: str) -> int:
    """Tell the buyer that an order shipped or was cancelled."""
    order = Order.objects.select_related("checkout__commune__parent", "producer").get(pk=order_id)
    checkout, template = order.checkout, BUYER_STATES.get(to_state)
    if template is None or not checkout.email:
        return 0
    context = {"checkout": checkout, "order": order, "link": order_link(checkout=checkout)}
    sent = _send_once(key=f"order:{order.pk}:{to_state}", checkout=checkout, template=template,
                      recipient=Recipient(name=checkout.buyer_name, email=checkout.email), context=context)
    return _tally([sent])


def _producer_new(*, order: Order, checkout: Checkout) -> list[bool | None]:
    emails = order.producer.users.filter(is_active=True).exclude(email="").values_list("email", flat=True)
    context = {"checkout": checkout, "order": order, "lines": list(order.lines.all()), "link": order_admin_link(order=order)}
    return [
        _send_once(key=f"order:{order.pk}:new:{email.lower()}", checkout=checkout, template="order_new_producer",
                   recipient=Recipient(name=order.producer.name, email=email), context=context)
        for email in sorted({e.strip() for e in emails if e.strip()})
    ]


def _send_once(*, key: str, checkout: Checkout, template: str, recipient: Recipient, context: dict) -> bool | None:
    """True: sent now; False: sent before; None: the send failed (no row is kept)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                NotificationLog.objects.create(key=key, checkout=checkout, template=template, recipient=recipient.email)
        except IntegrityError:
            return False
        if notify(recipient=recipient, template=template, context=context):
            return True
        transaction.set_rollback(True)
    return None


def _tally(results: list) -> int:
    flat = [r for item in results for r in (item if isinstance(item, list) else [item])]
    if any(r is None for r in flat):
        raise NotificationFailed(f"{flat.count(None)} of {len(flat)} messages not sent")
    return sum(1 for r in flat if r)
