"""Payment gateways behind one interface (`base.Gateway`), looked up in one typed registry."""
from __future__ import annotations

import dataclasses

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


def unavailable_methods() -> list[tuple[str, str]]:
    """(method, label) pairs switched off for want of settings: the checkout says so."""
    return [(method, PaymentMethod(method).label) for method, gateway in registry.items() if not gateway.is_available()]


@dataclasses.dataclass(frozen=True)
class GatewayState:
    method: str
    label: str
    missing: tuple[str, ...]  # the settings still to set; empty when on

    @property
    def on(self) -> bool:
        return not self.missing


def gateways_state() -> list[GatewayState]:
    """Every gateway, on or off, with what it still needs: the admin's read-only settings panel."""
    return [GatewayState(method=method, label=str(PaymentMethod(method).label), missing=tuple(gateway.missing_settings()))
            for method, gateway in registry.items()]


__all__ = ["ChargeResult", "ChargeStatus", "Gateway", "GatewayState", "RefundResult", "WebhookEvent", "available_methods",
           "gateway_for", "gateways_state", "registry", "unavailable_methods"]
