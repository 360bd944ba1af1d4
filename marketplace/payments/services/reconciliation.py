"""Bank transfer reconciliation: a credit is matched to a checkout by the reference in its
description and by amount. Exact → the payment receives it. Under, over, unmatched or late
(orders already cancelled) → stored for the operator's decision, never applied on its own."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.orders.models import REFERENCE_ALPHABET, Checkout, Order, PaymentMethod

from ..models import BankTransaction, Payment
from .payments import PaymentError, payment_for_checkout, payment_receive

REFERENCE_IN_TEXT = re.compile(f"OCOP[{REFERENCE_ALPHABET}]{{8}}")
Status = BankTransaction.Status


class ReconciliationError(PaymentError):
    pass


@dataclasses.dataclass(frozen=True)
class BankRow:
    transaction_id: str
    booked_on: dt.date
    amount_vnd: int
    description: str


def references_in(description: str) -> list[str]:
    """Checkout references in a bank description; banks add spaces, dashes or lower-case it."""
    squeezed = re.sub(r"[^A-Z0-9]", "", description.upper())
    return list(dict.fromkeys(REFERENCE_IN_TEXT.findall(squeezed)))


def bank_transaction_record(*, row: BankRow, source: str) -> tuple[BankTransaction, bool]:
    """Store a credit once (by transaction id) and apply it when it matches exactly.
    Returns (transaction, created); a known transaction id changes nothing."""
    existing = BankTransaction.objects.filter(transaction_id=row.transaction_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            payment, status, reason = _match(row)
            record = BankTransaction.objects.create(
                transaction_id=row.transaction_id, booked_on=row.booked_on, amount_vnd=row.amount_vnd,
                description=row.description[:500], source=source, payment=payment, status=status, reason=reason[:255])
            if status == Status.APPLIED:
                payment_receive(payment=payment, amount_vnd=row.amount_vnd, note=_("Chuyển khoản %(id)s") % {"id": row.transaction_id})
    except IntegrityError:  # the same transaction recorded concurrently
        return BankTransaction.objects.get(transaction_id=row.transaction_id), False
    return record, True


def _match(row: BankRow) -> tuple[Payment | None, str, str]:
    checkouts = list(Checkout.objects.filter(reference__in=references_in(row.description)))
    if not checkouts:
        return None, Status.UNMATCHED, _("Không tìm thấy mã đơn trong nội dung chuyển khoản")
    if len(checkouts) > 1:
        return None, Status.UNMATCHED, _("Nội dung có nhiều mã đơn: %(refs)s") % {"refs": ", ".join(c.reference for c in checkouts)}
    payment = payment_for_checkout(checkout=checkouts[0])
    if payment.method != PaymentMethod.TRANSFER:
        return payment, Status.UNMATCHED, _("Đơn này không chọn thanh toán chuyển khoản")
    if payment.state != Payment.State.PENDING:
        return payment, Status.OVERPAID, _("Đơn đã thanh toán hoặc đã huỷ trước đó")
    if not Order.objects.filter(checkout=payment.checkout).exclude(fulfilment_status=Order.Fulfilment.CANCELLED).exists():
        return payment, Status.UNMATCHED, _("Đơn đã huỷ (hết thời gian giữ hàng) trước khi nhận tiền")
    due = payment.due_vnd
    if row.amount_vnd == due:
        return payment, Status.APPLIED, ""
    fmt = {"amount": _vnd(row.amount_vnd), "due": _vnd(due)}
    if row.amount_vnd < due:
        return payment, Status.UNDERPAID, _("Chuyển %(amount)s, cần %(due)s") % fmt
    return payment, Status.OVERPAID, _("Chuyển %(amount)s, cần %(due)s") % fmt


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đ"


def bank_statement_import(*, rows: list[BankRow]) -> dict[str, int]:
    """Record a statement's credits, all in one transaction. Returns counts per status, and
    `already` for transaction ids recorded before (statements overlap; each id counts once)."""
    counts: dict[str, int] = {"already": 0}
    with transaction.atomic():
        for row in rows:
            record, created = bank_transaction_record(row=row, source=BankTransaction.Source.STATEMENT)
            key = record.status if created else "already"
            counts[key] = counts.get(key, 0) + 1
    return counts


def bank_transaction_decide(*, bank_transaction: BankTransaction, decision: str, by=None, note: str = "",
                            reference: str = "") -> BankTransaction:
    """The operator's decision on a credit waiting for one: `apply` it to its checkout (or to the
    checkout named by `reference`), `return` it to the sender (paid back by hand), or `dismiss` it."""
    with transaction.atomic():
        record = BankTransaction.objects.select_for_update().get(pk=bank_transaction.pk)
        if record.status not in BankTransaction.NEEDS_DECISION:
            raise ReconciliationError(_("Giao dịch này đã được xử lý."))
        if decision == "apply":
            _apply(record, reference=reference.strip().upper(), by=by)
        elif decision in ("return", "dismiss"):
            if not note.strip():
                raise ReconciliationError(_("Vui lòng ghi chú lý do."))
            record.status = Status.RETURNED if decision == "return" else Status.DISMISSED
        else:
            raise ReconciliationError(_("Quyết định không hợp lệ."))
        record.decided_by = by if by is not None and by.is_authenticated else None
        record.decided_at, record.decision_note = timezone.now(), note.strip()[:255]
        record.save()
    return record


def _apply(record: BankTransaction, *, reference: str, by) -> None:
    payment = record.payment
    if reference:
        checkout = Checkout.objects.filter(reference=reference).first()
        if checkout is None:
            raise ReconciliationError(_("Không có đơn mã %(ref)s.") % {"ref": reference})
        payment = payment_for_checkout(checkout=checkout)
    if payment is None:
        raise ReconciliationError(_("Nhập mã đơn để khớp giao dịch này."))
    if payment.state != Payment.State.PENDING:
        raise ReconciliationError(_("Đơn %(ref)s đã thanh toán hoặc đã huỷ: hãy trả lại tiền cho người chuyển.") % {
            "ref": payment.checkout.reference})
    payment_receive(payment=payment, amount_vnd=record.amount_vnd, by=by,
                    note=_("Chuyển khoản %(id)s (người vận hành khớp)") % {"id": record.transaction_id})
    record.payment, record.status = payment, Status.APPLIED
