"""Payment writes (HackSoft style: keyword-only, typed). Import from here:

- payments: `payment_for_checkout`, `payment_card_pay`, `payment_card_refresh`, `payment_receive`,
  `payment_abandon`, `attempt_apply`
- refunds: `payment_refund(*, order, amount_vnd, by=None, reason="") -> Refund`, `refund_mark_paid_out`
- webhooks: `gateway_event_handle`
- reconciliation: `bank_transaction_record`, `bank_statement_import`, `bank_transaction_decide`
"""
from .payments import (
    PaymentError,
    attempt_apply,
    payment_abandon,
    payment_card_pay,
    payment_card_refresh,
    payment_for_checkout,
    payment_receive,
)
from .reconciliation import (
    BankRow,
    ReconciliationError,
    bank_statement_import,
    bank_transaction_decide,
    bank_transaction_record,
)
from .refunds import RefundError, payment_refund, refund_mark_paid_out
from .webhooks import gateway_event_handle

__all__ = [
    "BankRow", "PaymentError", "ReconciliationError", "RefundError", "attempt_apply", "bank_statement_import",
    "bank_transaction_decide", "bank_transaction_record", "gateway_event_handle", "payment_abandon", "payment_card_pay",
    "payment_card_refresh", "payment_for_checkout", "payment_receive", "payment_refund", "refund_mark_paid_out",
]
