"""The one interface every payment method speaks, and the values it answers with.

Checkout never asks which gateway it is talking to: it looks the method up in the registry
(`marketplace.payments.gateways.registry`) and calls these methods. A new method (VNPay, MoMo)
is one more class here plus one registry entry. Gateways never raise for an expected failure
(decline, network down): they return a value with a Vietnamese message for the buyer.
"""
from __future__ import annotations

import dataclasses
from typing import Protocol


class ChargeStatus:
    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"  # 3-D Secure: the browser must finish it with the client secret
    PROCESSING = "processing"
    FAILED = "failed"  # declined: the buyer may try again
    CANCELLED = "cancelled"
    ERROR = "error"  # the gateway could not be reached or answered oddly: retry later


@dataclasses.dataclass(frozen=True)
class ChargeResult:
    status: str
    reference: str = ""  # the gateway's id for this attempt (a PaymentIntent id)
    client_secret: str = ""
    amount_vnd: int = 0
    error_code: str = ""
    message: str = ""  # for the buyer, Vietnamese


@dataclasses.dataclass(frozen=True)
class RefundResult:
    ok: bool
    manual: bool = False  # True: the operator pays it out by hand (transfer, cash)
    reference: str = ""
    message: str = ""


@dataclasses.dataclass(frozen=True)
class WebhookEvent:
    """A verified gateway event, reduced to what the payment services need."""

    id: str
    type: str
    created: int
    reference: str  # the object it is about (a PaymentIntent id), "" if none
    status: str  # a ChargeStatus for payment events, "" otherwise
    payload: dict


class Gateway(Protocol):
    method: str

    def is_available(self) -> bool:
        """Configured and offered at checkout."""

    def missing_settings(self) -> list[str]:
        """The settings still to set (or set wrongly) before it can be offered; [] when on."""

    def charge(self, *, amount_vnd: int, key: str, payment_method: str, metadata: dict[str, str]) -> ChargeResult:
        """Start one attempt, once per `key` (an idempotency key)."""

    def charge_status(self, *, reference: str) -> ChargeResult:
        """The attempt's current state at the gateway (after 3-D Secure, or to re-check)."""

    def refund(self, *, reference: str, amount_vnd: int, key: str) -> RefundResult:
        """Give back part or all of a succeeded attempt; `reference` may be "" for manual methods."""


class ManualGateway:
    """Money moves outside any API (bank transfer, cash): charges are recorded by reconciliation
    or by the producer, and refunds are paid out by the operator."""

    method = ""

    def is_available(self) -> bool:
        return not self.missing_settings()

    def missing_settings(self) -> list[str]:
        return []

    def charge(self, *, amount_vnd: int, key: str, payment_method: str, metadata: dict[str, str]) -> ChargeResult:
        return ChargeResult(status=ChargeStatus.PROCESSING, amount_vnd=amount_vnd)

    def charge_status(self, *, reference: str) -> ChargeResult:
        return ChargeResult(status=ChargeStatus.PROCESSING)

    def refund(self, *, reference: str, amount_vnd: int, key: str) -> RefundResult:
        return RefundResult(ok=True, manual=True)
