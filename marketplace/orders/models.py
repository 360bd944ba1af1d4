"""Checkouts and per-producer orders. Orders build on the catalogue (never the reverse).

One checkout (what the buyer submitted once) → one `Order` per producer, each with two
separate state fields: fulfilment and payment, so a COD order ships while unpaid. The allowed
moves are the tables in `states.py`; every move is logged in `OrderTransition`.
"""
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from marketplace.catalog.models import AdminUnit, Producer, Sku

# No 0/O/1/I: the reference is read aloud and typed into a bank transfer's description.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    return "OCOP" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def new_access_token() -> str:
    return secrets.token_urlsafe(24)


class PaymentMethod(models.TextChoices):
    COD = "cod", _("Thanh toán khi nhận hàng (COD)")
    TRANSFER = "transfer", _("Chuyển khoản ngân hàng (VietQR)")
    CARD = "card", _("Thẻ ngân hàng (Stripe)")
    PLATFORM = "platform", _("Thanh toán trên sàn")


class Channel(models.TextChoices):
    """Where the order was placed: our own checkout, or an external platform (imported)."""

    WEB = "web", _("Chợ OCOP")
    POSTMART = "postmart", "PostMart"
    VOSO = "voso", "Voso"
    NGHEAN37 = "nghean37", "37nghean"


class Checkout(models.Model):
    class Delivery(models.TextChoices):
        ADDRESS = "address", _("Giao tận nơi")
        PICKUP = "pickup", _("Nhận tại điểm nhận hàng của xã")

    reference = models.CharField(_("mã đơn"), max_length=16, unique=True, default=new_reference, editable=False)
    access_token = models.CharField(max_length=64, unique=True, default=new_access_token, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="checkouts")
    buyer_name = models.CharField(_("họ tên người mua"), max_length=120)
    phone = PhoneNumberField(_("số điện thoại"), region="VN")
    email = models.EmailField(_("email"), blank=True)
    privacy_consent_at = models.DateTimeField(_("đồng ý chính sách lúc"))
    delivery = models.CharField(_("cách nhận hàng"), max_length=10, choices=Delivery.choices, default=Delivery.ADDRESS)
    commune = models.ForeignKey(
        AdminUnit, verbose_name=_("xã/phường"), on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"scheme": AdminUnit.Scheme.Y2025, "level": AdminUnit.Level.COMMUNE},
    )
    address_line = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    payment_method = models.CharField(_("cách thanh toán"), max_length=10, choices=PaymentMethod.choices)
    channel = models.CharField(_("kênh bán"), max_length=12, choices=Channel.choices, default=Channel.WEB)
    reservation_expires_at = models.DateTimeField(
        _("giữ hàng đến"), null=True, blank=True, help_text=_("Trống với COD: hàng được giữ cho đến khi giao hoặc huỷ")
    )
    total_vnd = models.PositiveBigIntegerField(_("tổng cộng (đồng)"), default=0)
    # The checkout form's one-time key: a second post of the same form (a double click, two tabs,
    # a retry after a lost answer) finds this checkout instead of placing another. Unique, so two
    # concurrent posts cannot both insert; empty (NULL) for checkouts made outside our form.
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lượt đặt hàng")
        verbose_name_plural = _("lượt đặt hàng")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.reference


class Order(models.Model):
    class Fulfilment(models.TextChoices):
        PLACED = "placed", _("Đã đặt")
        CONFIRMED = "confirmed", _("Đã xác nhận")
        SHIPPED = "shipped", _("Đang giao")
        DELIVERED = "delivered", _("Đã giao")
        COMPLETED = "completed", _("Hoàn tất")
        CANCELLED = "cancelled", _("Đã huỷ")

    class Payment(models.TextChoices):
        UNPAID = "unpaid", _("Chưa thanh toán")
        AUTHORISED = "authorised", _("Đã cấp phép")
        PAID = "paid", _("Đã thanh toán")
        PARTLY_REFUNDED = "partly_refunded", _("Đã hoàn một phần")
        REFUNDED = "refunded", _("Đã hoàn tiền")

    class StockState(models.TextChoices):
        """Where this order's units are: held for it, sold (left the shelf), or given back."""

        RESERVED = "reserved", _("Đang giữ")
        SOLD = "sold", _("Đã xuất kho")
        RELEASED = "released", _("Đã trả lại kho")

    checkout = models.ForeignKey(Checkout, on_delete=models.CASCADE, related_name="orders")
    producer = models.ForeignKey(Producer, verbose_name=_("nhà sản xuất"), on_delete=models.PROTECT, related_name="orders")
    subtotal_vnd = models.PositiveBigIntegerField(_("tiền hàng (đồng)"))
    delivery_fee_vnd = models.PositiveBigIntegerField(_("phí giao hàng (đồng)"))
    total_vnd = models.PositiveBigIntegerField(_("tổng (đồng)"))
    fulfilment_status = models.CharField(_("trạng thái giao hàng"), max_length=12, choices=Fulfilment.choices, default=Fulfilment.PLACED)
    payment_status = models.CharField(_("trạng thái thanh toán"), max_length=16, choices=Payment.choices, default=Payment.UNPAID)
    stock_state = models.CharField(_("kho"), max_length=10, choices=StockState.choices, default=StockState.RESERVED)
    cancel_reason = models.CharField(_("lý do huỷ"), max_length=255, blank=True)
    # Packing is a step inside "confirmed", not a state of its own: recorded here and in the log.
    packed_at = models.DateTimeField(_("đóng gói lúc"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("đơn hàng")
        verbose_name_plural = _("đơn hàng")
        ordering = ["checkout_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["checkout", "producer"], name="order_one_per_producer"),
            models.CheckConstraint(condition=Q(total_vnd=models.F("subtotal_vnd") + models.F("delivery_fee_vnd")), name="order_total_sum"),
        ]
        indexes = [models.Index(fields=["producer", "fulfilment_status"]), models.Index(fields=["stock_state", "payment_status"])]

    def __str__(self) -> str:
        return f"{self.checkout.reference} — {self.producer.name}"


class OrderLine(models.Model):
    """What was bought, copied at checkout: later price or name changes never alter an order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    sku_code = models.CharField(_("mã SKU"), max_length=64)
    name = models.CharField(_("sản phẩm"), max_length=200)
    unit = models.CharField(_("quy cách"), max_length=60)
    unit_price_vnd = models.PositiveBigIntegerField(_("đơn giá (đồng)"))
    quantity = models.PositiveIntegerField(_("số lượng"))

    class Meta:
        ordering = ["order_id", "pk"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive")]

    @property
    def total_vnd(self) -> int:
        return self.unit_price_vnd * self.quantity


class OrderTransition(models.Model):
    """The log of every state change: which field, from what to what, who (null: the system)."""

    class Field(models.TextChoices):
        FULFILMENT = "fulfilment", _("giao hàng")
        PAYMENT = "payment", _("thanh toán")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="transitions")
    field = models.CharField(max_length=12, choices=Field.choices)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["order_id", "at", "pk"]


class NotificationLog(models.Model):
    """One row per message sent about a checkout or order, keyed so that a retried task finds
    the message already sent (e.g. `order:12:new:nsx@example.vn`) and sends nothing twice."""

    key = models.CharField(max_length=255, unique=True)
    checkout = models.ForeignKey(Checkout, on_delete=models.CASCADE, related_name="notifications")
    template = models.CharField(max_length=60)
    recipient = models.CharField(max_length=254)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["checkout_id", "sent_at", "pk"]

    def __str__(self) -> str:
        return self.key
