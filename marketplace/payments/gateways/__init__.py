"""Payment gateways behind one interface (`base.Gateway`), looked up in one typed registry."""
from __future__ import annotations

from marketplace.orders.models import PaymentMethod

from .base import ChargeResult, ChargeStatus, Gateway, RefundResult, WebhookEvent
from .cod import CodGateway
from .stripe import StripeGateway
from .vietqr import TransferGateway

registry: dict[str, Gateway] = {
    PaymentMethod.CARD: StripeGateway(),
    PaymentMethod.TRANSFER: TransferGateway(),
    PaymentMethod.COD: CodGateway(),
}


def gateway_for(method: str) -> Gateway:
    return registry[method]


def available_methods() -> list[tuple[str, str]]:
    """(method, label) pairs offered at checkout, in the registry's order."""
    return [(method, PaymentMethod(method).label) for method, gateway in registry.items() if gateway.is_available()]


__all__ = ["ChargeResult", "ChargeStatus", "Gateway", "RefundResult", "WebhookEvent", "available_methods", "gateway_for", "registry"]
