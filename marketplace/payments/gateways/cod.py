"""Cash on delivery: the order ships unpaid; the producer records the cash on delivery
(`marketplace.orders.services.order_cash_record`); a refund is cash the operator pays back."""
from marketplace.orders.models import PaymentMethod

from .base import ManualGateway


class CodGateway(ManualGateway):
    method = PaymentMethod.COD
