"""Live-selling sessions: hosts, sessions with their occurrences, featured products with a live
price and caps, the units held for each occurrence, subscriptions and reminders sent.

Times are stored in UTC and entered and shown in Asia/Ho_Chi_Minh. A recurring session is
expanded once into `Occurrence` rows, so one occurrence can be moved or cancelled alone.
Counters (`OccurrenceHold.held/sold`, `LiveBuyer.quantity`) change only by conditional UPDATEs.
"""
from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from marketplace.catalog.models import AdminUnit, Producer, Sku


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Host(models.Model):
    """A person who presents sessions. The 2025 e-commerce law requires the platform to verify a
    livestreamer's identity before they go live: an editor checks the ID document and records it."""

    name = models.CharField(_("họ tên"), max_length=120)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("tài khoản"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="live_hosts")
    producer = models.ForeignKey(Producer, verbose_name=_("thuộc nhà sản xuất"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="live_hosts")
    phone = models.CharField(_("số điện thoại"), max_length=20, blank=True)
    id_number = models.CharField(_("số giấy tờ tùy thân"), max_length=12,
                                 help_text=_("CCCD 12 số, CMND 9 số hoặc hộ chiếu (1 chữ cái và 7 số)"))
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("xác minh bởi"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+", editable=False)
    verified_at = models.DateTimeField(_("xác minh lúc"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("người dẫn live")
        verbose_name_plural = _("người dẫn live")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def id_number_masked(self) -> str:
        """Only the last 4 characters are ever shown."""
        tail = self.id_number[-4:]
        return "•" * max(len(self.id_number) - 4, 0) + tail


class LiveSession(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Nháp")
        SCHEDULED = "scheduled", _("Đã lên lịch")
        LIVE = "live", _("Đang phát")
        ENDED = "ended", _("Đã kết thúc")
        CANCELLED = "cancelled", _("Đã huỷ")

    title = models.CharField(_("tiêu đề"), max_length=200)
    description = models.TextField(_("mô tả"), blank=True)
    commune = models.ForeignKey(AdminUnit, verbose_name=_("xã/phường"), on_delete=models.PROTECT, related_name="+",
                                limit_choices_to={"scheme": AdminUnit.Scheme.Y2025, "level": AdminUnit.Level.COMMUNE})
    venue = models.CharField(_("địa điểm"), max_length=200, blank=True)
    hosts = models.ManyToManyField(Host, verbose_name=_("người dẫn"), related_name="sessions")
    producers = models.ManyToManyField(Producer, verbose_name=_("nhà sản xuất"), related_name="live_sessions")
    starts_at = models.DateTimeField(_("bắt đầu (lần đầu)"))
    ends_at = models.DateTimeField(_("kết thúc (lần đầu)"))
    rrule = models.CharField(_("quy tắc lặp (RFC 5545)"), max_length=300, blank=True)
    state = models.CharField(_("trạng thái"), max_length=10, choices=State.choices, default=State.DRAFT)
    cancel_reason = models.CharField(_("lý do huỷ"), max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("phiên livestream")
        verbose_name_plural = _("phiên livestream")
        ordering = ["-starts_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="livesession_ends_after_start")]

    def __str__(self) -> str:
        return self.title


class StreamLink(models.Model):
    class Platform(models.TextChoices):
        TIKTOK = "tiktok", "TikTok Shop"
        FACEBOOK = "facebook", "Facebook"
        ZALO = "zalo", "Zalo"
        OWN = "own", _("Trang Chợ OCOP")

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="links")
    platform = models.CharField(_("nền tảng"), max_length=10, choices=Platform.choices)
    url = models.URLField(_("đường dẫn phát"), max_length=500, blank=True)

    class Meta:
        ordering = ["session_id", "pk"]
        constraints = [models.UniqueConstraint(fields=["session", "platform"], name="streamlink_one_per_platform")]


class Occurrence(models.Model):
    """One showing of a session (the `index`-th of its recurrence), movable or cancellable alone."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Sắp diễn ra")
        LIVE = "live", _("Đang phát")
        ENDED = "ended", _("Đã kết thúc")
        CANCELLED = "cancelled", _("Đã huỷ")

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="occurrences")
    index = models.PositiveIntegerField()
    starts_at = models.DateTimeField(_("bắt đầu"))
    ends_at = models.DateTimeField(_("kết thúc"))
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    moved_from = models.DateTimeField(_("giờ cũ (đã dời)"), null=True, blank=True)
    cancel_reason = models.CharField(_("lý do huỷ"), max_length=255, blank=True)
    cancelled_at = models.DateTimeField(_("huỷ lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("buổi live")
        verbose_name_plural = _("buổi live")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "index"], name="occurrence_session_index"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="occurrence_ends_after_start"),
        ]
        indexes = [models.Index(fields=["status", "starts_at"]), models.Index(fields=["starts_at", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.session.title} — {self.starts_at:%Y-%m-%d %H:%M} UTC"


class FeaturedProduct(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="featured")
    sku = models.ForeignKey(Sku, verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    live_price_vnd = models.PositiveBigIntegerField(_("giá live (đồng)"))
    cap_total = models.PositiveIntegerField(_("số suất giá live"))
    cap_per_buyer = models.PositiveIntegerField(_("tối đa mỗi người mua"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("sản phẩm giá live")
        verbose_name_plural = _("sản phẩm giá live")
        ordering = ["session_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "sku"], name="featured_one_per_sku"),
            models.CheckConstraint(condition=Q(live_price_vnd__gt=0, cap_total__gt=0, cap_per_buyer__gt=0), name="featured_positive"),
            models.CheckConstraint(condition=Q(cap_per_buyer__lte=F("cap_total")), name="featured_buyer_cap_lte_total"),
        ]


class OccurrenceHold(models.Model):
    """Units of a featured SKU held on its stock for one occurrence (the ring-fence): `held` are
    reserved on the SKU's `Stock` from the window's start; `sold` of them went to orders; the rest
    are given back when the occurrence ends or is cancelled."""

    class State(models.TextChoices):
        HELD = "held", _("Đang giữ")
        RETURNED = "returned", _("Đã trả lại kho")

    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="holds")
    featured = models.ForeignKey(FeaturedProduct, on_delete=models.CASCADE, related_name="holds")
    state = models.CharField(max_length=10, choices=State.choices, default=State.HELD)
    held = models.PositiveIntegerField(default=0)
    sold = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    held_at = models.DateTimeField(auto_now_add=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["occurrence", "featured"], name="hold_one_per_featured"),
            models.CheckConstraint(condition=Q(sold__lte=F("held")), name="hold_sold_lte_held"),
        ]


class LiveBuyer(models.Model):
    """Live-price units one buyer (normalised phone number) took in one occurrence."""

    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="+")
    featured = models.ForeignKey(FeaturedProduct, on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(max_length=20)
    quantity = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["occurrence", "featured", "phone"], name="livebuyer_unique")]


class LiveSale(models.Model):
    """An order line attributed to an occurrence: a featured SKU bought in the window (at the live
    price or, once the live units are gone, the normal one) or anything bought via its link."""

    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="sales")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.CASCADE, related_name="+")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_price_vnd = models.PositiveBigIntegerField()
    at_live_price = models.BooleanField(default=False)
    featured = models.BooleanField(default=False)
    via_link = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["occurrence", "order_line"], name="livesale_once_per_line")]


class Subscription(models.Model):
    """Reminders by e-mail for every occurrence of a session (`occurrence` empty) or just one.

    Double opt-in: reminders go only once the address has confirmed through the signed link
    sent to it (`confirmed_at`); an unsubscribed address is subscribed again only the same way.
    `token` is the unsubscribe link's secret, sent only to the address."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="subscriptions")
    occurrence = models.ForeignKey(Occurrence, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions")
    email = models.EmailField(_("email"))
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "email"], name="subscription_one_per_session")]


class ReminderSent(models.Model):
    """One row per (subscriber, occurrence, kind, start time): inserted before sending (the claim),
    stamped `sent_at` after. The unique key makes a second beat or a retried batch send nothing
    twice; a moved occurrence has a new start time and so is reminded again."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="reminders")
    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=12)
    scheduled_start = models.DateTimeField()
    claim = models.CharField(max_length=32)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "occurrence", "kind", "scheduled_start"], name="reminder_exactly_once"),
        ]
        indexes = [models.Index(fields=["occurrence", "kind", "scheduled_start", "claim"])]
