"""Payment reads for pages and the operator's queue."""
from __future__ import annotations

from django.db.models import QuerySet

from marketplace.orders.models import Checkout

from .gateways import vietqr
from .models import BankTransaction, Payment, PaymentAttempt, Refund
from .words import reference_in_words, vnd_in_words


def checkout_by_token(*, token: str) -> Checkout | None:
    return Checkout.objects.filter(access_token=token).first()


def attempt_latest(*, payment: Payment) -> PaymentAttempt | None:
    return payment.attempts.order_by("-created_at", "-pk").first()


def transfer_instructions(*, payment: Payment) -> dict:
    """What the transfer page and the order page print beside the QR code."""
    from django.conf import settings

    due = payment.due_vnd or payment.amount_vnd
    reference = payment.checkout.reference
    return {
        "payload": vietqr.transfer_payload(amount_vnd=due, reference=reference),
        "amount_vnd": due, "amount_words": vnd_in_words(due), "reference": reference,
        "reference_words": reference_in_words(reference), "bank_bin": settings.VIETQR_BANK_BIN,
        "account_number": settings.VIETQR_ACCOUNT_NUMBER, "account_name": settings.VIETQR_ACCOUNT_NAME,
    }


def bank_transactions_needing_decision() -> QuerySet[BankTransaction]:
    return BankTransaction.objects.filter(status__in=BankTransaction.NEEDS_DECISION).select_related("payment__checkout")


def refunds_to_pay_out() -> QuerySet[Refund]:
    return Refund.objects.filter(state=Refund.State.TO_PAY_OUT).select_related("order__checkout", "order__producer")
