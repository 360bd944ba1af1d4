"""`{% payment_box checkout %}`: the payment state and link (VietQR, card) on the order page."""
from django import template

from marketplace.orders.models import PaymentMethod

from ..gateways import gateway_for
from ..services import payment_for_checkout

register = template.Library()


@register.inclusion_tag("payments/_payment_box.html")
def payment_box(checkout):
    payable = checkout.payment_method in (PaymentMethod.CARD, PaymentMethod.TRANSFER, PaymentMethod.COD)
    return {"checkout": checkout, "payment": payment_for_checkout(checkout=checkout) if payable else None,
            "transfer_on": gateway_for(PaymentMethod.TRANSFER).is_available()}
