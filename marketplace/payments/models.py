"""Payments build on orders: one `Payment` per checkout, its gateway attempts, refunds per
order, the webhook events we received, and bank transactions waiting to be reconciled.

Each order's share of the payment is its own `total_vnd`; the payment's amount is their sum.
Uniqueness in the database (attempt key, gateway reference, event id, bank transaction id)
is what makes a double click, a redelivered webhook or a re-imported statement harmless.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketplace.orders.models import Checkout, Order, PaymentMethod


class Payment(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Chờ thanh toán")
        SUCCEEDED = "succeeded", _("Đã thanh toán")
        CANCELLED = "cancelled", _("Đã huỷ")

    checkout = models.OneToOneField(Checkout, on_delete=models.CASCADE, related_name="payment")
    method = models.CharField(_("cách thanh toán"), max_length=10, choices=PaymentMethod.choices)
    amount_vnd = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    received_vnd = models.PositiveBigIntegerField(_("đã nhận (đồng)"), default=0)
    state = models.CharField(_("trạng thái"), max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("thanh toán")
        verbose_name_plural = _("thanh toán")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.checkout.reference} ({self.get_method_display()})"

    @property
    def due_vnd(self) -> int:
        return max(self.amount_vnd - self.received_vnd, 0)


class PaymentAttempt(models.Model):
    """One try at the gateway (one Stripe PaymentIntent). `key` comes from the pay form: a double
    click submits the same key twice and finds this row instead of charging again."""

    class State(models.TextChoices):
        CREATING = "creating", _("Đang tạo")
        REQUIRES_ACTION = "requires_action", _("Chờ xác thực 3-D Secure")
        PROCESSING = "processing", _("Đang xử lý")
        SUCCEEDED = "succeeded", _("Thành công")
        FAILED = "failed", _("Bị từ chối")
        CANCELLED = "cancelled", _("Đã huỷ")
        ERROR = "error", _("Lỗi kết nối")

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="attempts")
    key = models.CharField(max_length=64, unique=True)
    gateway_reference = models.CharField(max_length=255, null=True, blank=True, unique=True)
    client_secret = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.CREATING)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=255, blank=True)
    # The gateway time of the newest event applied: an older event arriving late changes nothing.
    event_created = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["payment_id", "created_at", "pk"]


class Refund(models.Model):
    """Money given back on one order. Card refunds go through the gateway at once; transfer and
    COD refunds are `to_pay_out` until the operator has paid them and marks them paid out."""

    class State(models.TextChoices):
        SUCCEEDED = "succeeded", _("Đã hoàn")
        TO_PAY_OUT = "to_pay_out", _("Chờ chuyển trả")
        PAID_OUT = "paid_out", _("Đã chuyển trả")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_vnd = models.PositiveBigIntegerField(_("số tiền hoàn (đồng)"))
    state = models.CharField(_("trạng thái"), max_length=10, choices=State.choices)
    gateway_reference = models.CharField(max_length=255, blank=True)
    reason = models.CharField(_("lý do"), max_length=255, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    paid_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("hoàn tiền")
        verbose_name_plural = _("hoàn tiền")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount_vnd__gt=0), name="refund_amount_positive")]


class GatewayEvent(models.Model):
    """A webhook event as received, once: the unique event id makes a redelivery a no-op."""

    gateway = models.CharField(max_length=16)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    created = models.DateTimeField(null=True, blank=True, help_text="the gateway's own event time")
    payload = models.JSONField()
    outcome = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="gateway_event_once")]


class BankTransaction(models.Model):
    """A credit on our bank account (statement row or bank notification), applied once."""

    class Source(models.TextChoices):
        STATEMENT = "statement", _("Sao kê")
        WEBHOOK = "webhook", _("Thông báo của ngân hàng")

    class Status(models.TextChoices):
        APPLIED = "applied", _("Đã khớp với đơn")
        UNDERPAID = "underpaid", _("Chuyển thiếu")
        OVERPAID = "overpaid", _("Chuyển thừa")
        UNMATCHED = "unmatched", _("Không khớp đơn nào")
        RETURNED = "returned", _("Đã trả lại người chuyển")
        DISMISSED = "dismissed", _("Đã bỏ qua")

    NEEDS_DECISION = (Status.UNDERPAID, Status.OVERPAID, Status.UNMATCHED)

    transaction_id = models.CharField(_("mã giao dịch"), max_length=100, unique=True)
    booked_on = models.DateField(_("ngày"))
    amount_vnd = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    description = models.CharField(_("nội dung"), max_length=500)
    source = models.CharField(_("nguồn"), max_length=10, choices=Source.choices)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="bank_transactions")
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("ghi chú đối soát"), max_length=255, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("ghi chú quyết định"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("giao dịch ngân hàng")
        verbose_name_plural = _("giao dịch ngân hàng")
        ordering = ["-booked_on", "-pk"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.transaction_id
