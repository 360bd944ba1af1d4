"""Reads for checkouts and orders. Keyword-only and typed."""
from __future__ import annotations

from .models import Checkout


def checkout_by_key(*, key: str) -> Checkout | None:
    """The checkout placed with this checkout form's one-time key, if any."""
    if not key:
        return None
    return Checkout.objects.filter(idempotency_key=key).first()
