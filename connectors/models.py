"""Connector state: platform connections, bindings (one SKU on one platform account), the outbox
written in the catalogue's own transaction, the sync log and imported platform orders.

A *lane* is one platform credential: (platform, account) where account is "" for PostMart and
Voso (one seller account each) and the commune code for 37nghean (one key per commune).
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketplace.catalog.models import Product, Sku


class Platform(models.TextChoices):
    POSTMART = "postmart", "PostMart"
    VOSO = "voso", "Voso"
    NGHEAN37 = "nghean37", "37nghean"


class Connection(models.Model):
    """A platform connection entered in the admin. Variables from the environment win over a row
    for the same platform and account (see `connectors.registry`)."""

    platform = models.CharField(_("sàn"), max_length=12, choices=Platform.choices)
    account = models.CharField(_("mã xã"), max_length=5, blank=True, help_text=_("Chỉ với 37nghean: mã xã 5 chữ số"))
    base_url = models.URLField(_("địa chỉ API"), blank=True)
    key_id = models.CharField(_("mã ứng dụng / client id"), max_length=200, blank=True)
    secret = models.CharField(_("khóa bí mật"), max_length=500, blank=True)
    shop_id = models.CharField(_("mã cửa hàng"), max_length=100, blank=True)
    webhook_secret = models.CharField(_("khóa ký webhook"), max_length=500, blank=True)
    enabled = models.BooleanField(_("đang bật"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("kết nối sàn")
        verbose_name_plural = _("kết nối sàn")
        constraints = [models.UniqueConstraint(fields=["platform", "account"], name="connection_platform_account")]
        ordering = ["platform", "account"]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.account}".strip()


class SyncState(models.TextChoices):
    IDLE = "idle", _("Đã đồng bộ")
    QUEUED = "queued", _("Đang chờ gửi")
    IN_FLIGHT = "in_flight", _("Đang gửi")
    RETRY = "retry", _("Chờ gửi lại")
    FAILED = "failed", _("Lỗi cần sửa")


class RemoteState(models.TextChoices):
    NONE = "", _("Chưa đăng")
    PENDING_REVIEW = "pending_review", _("Chờ sàn duyệt")
    LIVE = "live", _("Đang bán")
    REJECTED = "rejected", _("Bị từ chối")
    DELISTED = "delisted", _("Đã gỡ")


class Binding(models.Model):
    """One SKU on one platform lane: the platform's id, what we last pushed, and the work state."""

    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="platform_bindings")
    platform = models.CharField(max_length=12, choices=Platform.choices)
    account = models.CharField(max_length=5, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    remote_status = models.CharField(max_length=16, choices=RemoteState.choices, blank=True, default="")
    remote_reason = models.TextField(blank=True)
    remote_price_vnd = models.PositiveBigIntegerField(null=True, blank=True)
    sync_state = models.CharField(max_length=10, choices=SyncState.choices, default=SyncState.QUEUED)
    content_hash = models.CharField(max_length=64, blank=True)  # of the content without stock, as last pushed
    pushed_stock = models.IntegerField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=120, blank=True)  # set before a create is sent
    attempted_hash = models.CharField(max_length=64, blank=True)  # full content hash of the last failed attempt
    requeue = models.BooleanField(default=False)  # changed again while in flight: go again when done
    generation = models.PositiveIntegerField(default=0)  # bumped on every delist: a relist needs a new key
    last_error = models.TextField(blank=True)
    error_final = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sku", "platform", "account"], name="binding_sku_lane")]
        indexes = [
            models.Index(fields=["platform", "account", "sync_state", "next_attempt_at"]),
            models.Index(fields=["platform", "account", "remote_status", "last_polled_at"]),
            models.Index(fields=["platform", "external_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}@{self.platform}{self.account and ':' + self.account}"


class PlatformOptOut(models.Model):
    """The producer does not want this product on this platform (all its SKUs)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="platform_opt_outs")
    platform = models.CharField(max_length=12, choices=Platform.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "platform"], name="optout_product_platform")]


class OutboxEntry(models.Model):
    """'This SKU changed; bring lane X in step.' Written in the transaction of the change; the
    drain folds entries into bindings (several entries for one binding become one piece of work)."""

    sku_id = models.BigIntegerField()
    platform = models.CharField(max_length=12, choices=Platform.choices)
    account = models.CharField(max_length=5, blank=True)
    reason = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["platform", "account", "id"])]


class SyncLog(models.Model):
    """One call to a platform (or one decision not to call), for the health view and debugging."""

    binding = models.ForeignKey(Binding, null=True, blank=True, on_delete=models.CASCADE, related_name="logs")
    platform = models.CharField(max_length=12, choices=Platform.choices)
    account = models.CharField(max_length=5, blank=True)
    action = models.CharField(max_length=20)
    ok = models.BooleanField()
    message = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["platform", "account", "-at"])]
        ordering = ["-at", "-pk"]


class RateBucket(models.Model):
    """The database rate limiter's state for one credential: send times in the rolling window."""

    key = models.CharField(max_length=40, primary_key=True)
    sent = models.JSONField(default=list)


class LaneCursor(models.Model):
    """Per lane: when orders were last imported successfully."""

    platform = models.CharField(max_length=12, choices=Platform.choices)
    account = models.CharField(max_length=5, blank=True)
    orders_imported_until = models.DateTimeField(null=True, blank=True)
    last_import_error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "account"], name="lanecursor_lane")]


class PlatformOrder(models.Model):
    """An order placed on a platform, stored once; linked to the checkout it became.

    One needing attention is either taken again by an operator (→ imported) or rejected with a
    reason (→ rejected; it is never acknowledged, and is cancelled on the platform's site)."""

    class State(models.TextChoices):
        IMPORTED = "imported", _("Đã nhận")
        NEEDS_ATTENTION = "needs_attention", _("Cần xử lý")
        REJECTED = "rejected", _("Đã từ chối")
        CANCELLED = "cancelled", _("Đã huỷ trên sàn")

    platform = models.CharField(_("sàn"), max_length=12, choices=Platform.choices)
    account = models.CharField(max_length=5, blank=True)
    external_id = models.CharField(_("mã đơn trên sàn"), max_length=100)
    state = models.CharField(_("tình trạng"), max_length=16, choices=State.choices)
    attention_reason = models.TextField(_("lý do cần xử lý"), blank=True)
    checkout = models.OneToOneField("orders.Checkout", null=True, blank=True, on_delete=models.SET_NULL, related_name="platform_order")
    payload = models.JSONField(default=dict)
    placed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(_("từ chối lúc"), null=True, blank=True)
    rejected_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người từ chối"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    rejection_reason = models.TextField(_("lý do từ chối"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("đơn hàng từ sàn")
        verbose_name_plural = _("đơn hàng từ sàn")
        constraints = [models.UniqueConstraint(fields=["platform", "external_id"], name="platformorder_unique")]
        indexes = [models.Index(fields=["state"], condition=Q(state="needs_attention"), name="platformorder_attention")]

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id}"


class WebhookEvent(models.Model):
    """A platform event already handled (redeliveries are answered 200 and ignored)."""

    platform = models.CharField(max_length=12, choices=Platform.choices)
    event_id = models.CharField(max_length=120)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "event_id"], name="webhookevent_unique")]
