"""The OCOP catalogue: the floor every other part stands on.

It imports none of cms/, search/, connectors/, orders or livestreams; they listen to the
signals in `signals.py`.
"""
import datetime as dt
import secrets

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

SKU_VALIDATOR = RegexValidator(r"^[A-Za-z0-9._-]{1,64}$", _("Mã SKU gồm 1–64 ký tự A–Z a–z 0–9 . _ -"))
CERTIFICATE_VALIDITY_MONTHS = 36


class AdminUnit(models.Model):
    """A province, district (legacy scheme only) or commune-level unit. Codes repeat across
    schemes, so (scheme, code) is the key."""

    class Scheme(models.TextChoices):
        Y2025 = "2025", _("Từ 1/7/2025 (34 tỉnh, không cấp huyện)")
        LEGACY = "legacy", _("Trước 2025 (63 tỉnh)")

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("Tỉnh/thành phố")
        DISTRICT = 2, _("Quận/huyện")
        COMMUNE = 3, _("Xã/phường/đặc khu")

    scheme = models.CharField(max_length=8, choices=Scheme.choices)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    code = models.CharField(max_length=5)
    name = models.CharField(max_length=100)
    short_name = models.CharField(max_length=100)
    unit_type = models.CharField(max_length=30, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")
        constraints = [models.UniqueConstraint(fields=["scheme", "code", "level"], name="adminunit_scheme_code")]
        indexes = [models.Index(fields=["scheme", "level", "code"])]
        ordering = ["scheme", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def province(self) -> "AdminUnit":
        unit = self
        while unit.parent_id is not None:
            unit = unit.parent
        return unit


class AdminUnitMapping(models.Model):
    """Legacy commune → 2025 commune, so that old addresses stay usable."""

    legacy = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="mapped_to")
    current = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="mapped_from")
    is_default = models.BooleanField(default=True, help_text=_("Đơn vị mới mặc định khi xã cũ bị chia"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["legacy", "current"], name="adminunitmapping_unique")]


class Category(models.Model):
    name = models.CharField(_("tên"), max_length=100, unique=True)
    slug = models.SlugField(_("mã"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("ngành hàng")
        verbose_name_plural = _("ngành hàng")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Producer(models.Model):
    class Kind(models.TextChoices):
        COOPERATIVE = "cooperative", _("Hợp tác xã")
        ENTERPRISE = "enterprise", _("Doanh nghiệp")
        HOUSEHOLD = "household", _("Hộ kinh doanh")

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ duyệt")
        APPROVED = "approved", _("Đã duyệt")
        REJECTED = "rejected", _("Từ chối")

    name = models.CharField(_("tên cơ sở"), max_length=200)
    kind = models.CharField(_("loại hình"), max_length=20, choices=Kind.choices)
    phone = PhoneNumberField(_("số điện thoại"), region="VN")
    tax_code = models.CharField(
        _("mã số thuế"),
        max_length=14,
        blank=True,
        validators=[RegexValidator(r"^\d{10}(-\d{3})?$", _("Mã số thuế gồm 10 chữ số, hoặc 10 chữ số kèm -XXX"))],
    )
    commune = models.ForeignKey(
        AdminUnit, verbose_name=_("xã/phường"), on_delete=models.PROTECT, related_name="producers",
        limit_choices_to={"scheme": AdminUnit.Scheme.Y2025, "level": AdminUnit.Level.COMMUNE},
    )
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    latitude = models.FloatField(_("vĩ độ"), null=True, blank=True, validators=[MinValueValidator(8), MaxValueValidator(24)])
    longitude = models.FloatField(_("kinh độ"), null=True, blank=True, validators=[MinValueValidator(102), MaxValueValidator(118)])
    story = models.TextField(_("câu chuyện"), blank=True)
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.PENDING)
    rejection_reason = models.CharField(_("lý do từ chối"), max_length=255, blank=True)
    privacy_consent_at = models.DateTimeField(_("đồng ý chính sách lúc"), null=True, blank=True)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="producers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("nhà sản xuất")
        verbose_name_plural = _("nhà sản xuất")
        ordering = ["name"]
        indexes = [models.Index(fields=["commune", "status"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED


class Product(models.Model):
    """The published state of a listing: what the API, search, orders and platforms see.

    Editable content (story, images, draft SKUs) lives on the listing page and reaches this
    table through `services.product_publish` when the listing is approved and published.
    """

    producer = models.ForeignKey(Producer, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(_("tên sản phẩm"), max_length=200)
    description = models.TextField(_("mô tả"), blank=True)
    category = models.ForeignKey(Category, verbose_name=_("ngành hàng"), null=True, blank=True, on_delete=models.SET_NULL)
    image = models.ForeignKey("wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_published = models.BooleanField(_("đang bán"), default=False)
    url_path = models.CharField(max_length=500, blank=True, help_text=_("Đường dẫn trang sản phẩm"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sản phẩm")
        verbose_name_plural = _("sản phẩm")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["is_published", "category"])]

    def __str__(self) -> str:
        return self.name

    def current_certificate(self, today: dt.date | None = None) -> "OcopCertificate | None":
        """The valid certificate with the most stars (prefetch `certificates` to avoid queries)."""
        today = today or timezone.localdate()
        valid = [c for c in self.certificates.all() if c.is_valid(today)]
        return max(valid, key=lambda c: (c.stars, c.issued_on or dt.date.min), default=None)


class Sku(models.Model):
    """One sellable variant of a product (`Gạo ST25 — túi 5kg`)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus")
    code = models.CharField(_("mã SKU"), max_length=64, unique=True, validators=[SKU_VALIDATOR])
    unit = models.CharField(_("quy cách"), max_length=60)
    price_vnd = models.PositiveBigIntegerField(_("giá (đồng)"))
    weight_gram = models.PositiveIntegerField(_("khối lượng (gam)"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKU")
        ordering = ["product_id", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.product.name} — {self.unit}"


class Stock(models.Model):
    """Stock per SKU, outside page revisions: publishing an old revision never touches it.

    Changed only by conditional UPDATEs in `services` (no read-modify-write)."""

    sku = models.OneToOneField(Sku, on_delete=models.CASCADE, primary_key=True, related_name="stock")
    on_hand = models.PositiveIntegerField(_("tồn kho"), default=0)
    reserved = models.PositiveIntegerField(_("đang giữ"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tồn kho")
        verbose_name_plural = _("tồn kho")
        constraints = [models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_lte_on_hand")]

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class OcopCertificate(models.Model):
    class CriteriaGroup(models.TextChoices):
        FOOD = "food", _("Thực phẩm")
        BEVERAGE = "beverage", _("Đồ uống")
        HERBAL = "herbal", _("Thảo dược")
        TEXTILE = "textile", _("Vải và may mặc")
        CRAFT = "craft", _("Lưu niệm – nội thất – trang trí")
        TOURISM = "tourism", _("Dịch vụ du lịch cộng đồng và điểm du lịch")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="certificates")
    stars = models.PositiveSmallIntegerField(_("hạng sao"), validators=[MinValueValidator(3), MaxValueValidator(5)])
    criteria_group = models.CharField(_("nhóm sản phẩm"), max_length=20, choices=CriteriaGroup.choices, blank=True)
    decision_number = models.CharField(_("số quyết định"), max_length=60, blank=True)
    issuer = models.CharField(_("cơ quan cấp"), max_length=200, blank=True)
    issued_on = models.DateField(_("ngày cấp"), null=True, blank=True)
    expires_on = models.DateField(_("hết hạn"), null=True, blank=True, editable=False)
    needs_completion = models.BooleanField(
        _("cần bổ sung"), default=False, help_text=_("Đã biết hạng sao nhưng còn thiếu thông tin quyết định")
    )
    is_expired = models.BooleanField(_("đã hết hạn"), default=False)

    class Meta:
        verbose_name = _("chứng nhận OCOP")
        verbose_name_plural = _("chứng nhận OCOP")
        constraints = [models.CheckConstraint(condition=Q(stars__gte=3, stars__lte=5), name="ocop_stars_3_to_5")]
        indexes = [models.Index(fields=["expires_on"])]

    def __str__(self) -> str:
        return f"OCOP {self.stars}★ — {self.decision_number or _('chưa có số quyết định')}"

    def save(self, *args, **kwargs):
        self.expires_on = self.issued_on + relativedelta(months=CERTIFICATE_VALIDITY_MONTHS) if self.issued_on else None
        self.needs_completion = not (self.decision_number and self.issuer and self.issued_on)
        super().save(*args, **kwargs)

    def is_valid(self, today: dt.date | None = None) -> bool:
        if self.is_expired:
            return False
        return self.expires_on is None or self.expires_on >= (today or timezone.localdate())


def new_batch_code() -> str:
    return secrets.token_urlsafe(6).replace("-", "x").replace("_", "y")


class Batch(models.Model):
    """A production lot with a public traceability page at a short stable URL (`/t/<code>/`)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="batches")
    code = models.CharField(_("mã truy xuất"), max_length=16, unique=True, default=new_batch_code, editable=False)
    lot_code = models.CharField(_("số lô"), max_length=60)
    produced_on = models.DateField(_("ngày sản xuất/thu hoạch"))
    best_before = models.DateField(_("hạn sử dụng"), null=True, blank=True)
    growing_area_code = models.CharField(_("mã vùng trồng"), max_length=60, blank=True)
    inputs = models.TextField(_("vật tư đầu vào"), blank=True)
    certifications = models.CharField(_("chứng nhận khác"), max_length=255, blank=True, help_text=_("VietGAP, hữu cơ…"))
    gtin = models.CharField(
        _("GTIN"), max_length=14, blank=True, validators=[RegexValidator(r"^\d{8}$|^\d{12,14}$", _("GTIN gồm 8, 12, 13 hoặc 14 chữ số"))]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lô hàng")
        verbose_name_plural = _("lô hàng")
        ordering = ["-produced_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["product", "lot_code"], name="batch_product_lot")]

    def __str__(self) -> str:
        return f"{self.product.name} — {self.lot_code}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.best_before and self.produced_on and self.best_before < self.produced_on:
            raise ValidationError({"best_before": _("Hạn sử dụng phải sau ngày sản xuất.")})

    def get_absolute_url(self) -> str:
        return f"/t/{self.code}/"

    def gs1_path(self) -> str:
        """GS1 Digital Link style path, where a GTIN exists."""
        return f"/01/{self.gtin.zfill(14)}/10/{self.lot_code}" if self.gtin else ""


class CommuneEditors(models.Model):
    """The group whose members edit one commune (approve its producers' listings and sign-ups,
    keep its certificates). Kept at the catalogue level so that every app can ask who acts for a
    commune (`marketplace.access`) without knowing about pages; the commune page's moderation
    group is the same group (`cms.services.commune_editors_setup` records it here)."""

    commune = models.OneToOneField(AdminUnit, on_delete=models.CASCADE, related_name="editors",
                                   limit_choices_to={"level": AdminUnit.Level.COMMUNE})
    group = models.OneToOneField("auth.Group", on_delete=models.CASCADE, related_name="commune_editors")

    class Meta:
        verbose_name = _("nhóm biên tập xã")
        verbose_name_plural = _("nhóm biên tập xã")

    def __str__(self) -> str:
        return f"{self.commune} — {self.group}"
