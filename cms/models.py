"""Wagtail pages: Home → Province → Commune → Producer → Product.

Pages present the catalogue; domain rules live in `marketplace.catalog.services`, which the
publish receivers in `receivers.py` call. Wagtail's page permissions follow the tree: a
producer's group edits its own subtree, a commune's editor group moderates the commune's.
"""
from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page

from wagtail.images import get_image_model

from marketplace.catalog.models import SKU_VALIDATOR, AdminUnit, Category, OcopCertificate, Producer, Product, Sku
from marketplace.catalog.selectors import skus_owned_elsewhere


# Renditions the templates use, prefetched so that photos cost no query each.
CARD_RENDITION = "fill-320x240|format-webp"
GALLERY_RENDITIONS = ("width-360|format-webp", "width-720|format-webp", "fill-160x120|format-webp")


def published_products(queryset=None):
    """Published products with everything a card shows, in a constant number of queries."""
    queryset = queryset if queryset is not None else Product.objects.all()
    return (
        queryset.filter(is_published=True)
        .select_related("producer__commune__parent", "category")
        .prefetch_related(
            Prefetch("image", queryset=get_image_model().objects.prefetch_renditions(CARD_RENDITION)),
            Prefetch("skus", queryset=Sku.objects.filter(is_active=True).select_related("stock")),
            Prefetch("certificates", queryset=OcopCertificate.objects.order_by("-stars")),
        )
    )


class CachedPageMixin:
    """Anonymous GETs of these pages may be served from the page cache (see marketplace.pagecache).

    Pages with `count_visits` get their daily visits counted there too (see cms.visits)."""

    count_visits = False

    def serve(self, request, *args, **kwargs):
        response = super().serve(request, *args, **kwargs)
        response.cacheable_page = True
        if self.count_visits and not getattr(request, "is_preview", False):
            response.visit_page_id = self.pk
        return response


class HomePage(CachedPageMixin, Page):
    intro = models.TextField(_("giới thiệu"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["cms.ProvincePage"]
    max_count = 1

    class Meta:
        verbose_name = _("trang chủ")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["provinces"] = ProvincePage.objects.live().child_of(self).select_related("admin_unit")
        context["products"] = published_products().order_by("-updated_at")[:12]
        return context


class ProvincePage(CachedPageMixin, Page):
    admin_unit = models.OneToOneField(
        AdminUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("tỉnh/thành phố"),
        limit_choices_to={"scheme": "2025", "level": AdminUnit.Level.PROVINCE},
    )
    intro = models.TextField(_("giới thiệu"), blank=True)

    # Province officers see this province's communes on the news and coverage dashboards.
    officers_group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False)

    content_panels = Page.content_panels + [FieldPanel("admin_unit"), FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.CommunePage"]

    class Meta:
        verbose_name = _("trang tỉnh")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["communes"] = CommunePage.objects.live().child_of(self).select_related("admin_unit")
        return context


class CommunePage(CachedPageMixin, Page):
    admin_unit = models.OneToOneField(
        AdminUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("xã/phường"),
        limit_choices_to={"scheme": "2025", "level": AdminUnit.Level.COMMUNE},
    )
    intro = models.TextField(_("giới thiệu"), blank=True)
    editors_group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False)

    content_panels = Page.content_panels + [FieldPanel("admin_unit"), FieldPanel("intro")]
    parent_page_types = ["cms.ProvincePage"]
    subpage_types = ["cms.ProducerPage", "cms.NewsIndexPage"]
    count_visits = True

    class Meta:
        verbose_name = _("trang xã")

    def get_context(self, request, *args, **kwargs):
        from django.conf import settings

        context = super().get_context(request, *args, **kwargs)
        producer_pages = ProducerPage.objects.live().child_of(self).select_related("producer")
        context["producer_pages"] = producer_pages
        context["map_points"] = [
            {"name": p.producer.name, "lat": p.producer.latitude, "lon": p.producer.longitude, "url": p.url}
            for p in producer_pages if p.producer.latitude is not None
        ]
        context["products"] = published_products(Product.objects.filter(producer__commune=self.admin_unit)).order_by("name")[:60]
        context["map_tile_url"] = settings.MAP_TILE_URL
        context["map_attribution"] = settings.MAP_TILE_ATTRIBUTION
        from .articles.selectors import commune_latest_articles

        context["news_index"], context["latest_articles"] = commune_latest_articles(commune_page=self)
        return context


class ProducerPage(CachedPageMixin, Page):
    producer = models.OneToOneField(Producer, on_delete=models.PROTECT, related_name="page", verbose_name=_("nhà sản xuất"))
    story = RichTextField(_("câu chuyện"), blank=True, features=["bold", "italic", "link", "ol", "ul", "h3"])
    image = models.ForeignKey("wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    owners_group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False)

    content_panels = Page.content_panels + [FieldPanel("producer"), FieldPanel("story"), FieldPanel("image")]
    parent_page_types = ["cms.CommunePage"]
    subpage_types = ["cms.ProductPage"]

    class Meta:
        verbose_name = _("trang nhà sản xuất")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["products"] = published_products(Product.objects.filter(producer=self.producer))
        return context


class ProductPageForm(WagtailAdminPageForm):
    """SKU codes are unique across the catalogue: check the inline rows against other products."""

    def clean(self):
        cleaned = super().clean()
        # The parent form is cleaned before the inline forms: only read rows that are valid.
        rows = [f.cleaned_data for f in self.formsets["sku_rows"].forms if f.is_valid() and not f.cleaned_data.get("DELETE")]
        codes = [row["code"] for row in rows if row.get("code")]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValidationError(_("Mỗi mã SKU chỉ được dùng một lần: %(codes)s") % {"codes": ", ".join(duplicates)})
        # The catalogue's own rule (its publish service enforces it too): said here, at the field.
        taken = [sku.code for sku in skus_owned_elsewhere(codes=codes, product_id=self.instance.product_id)]
        if taken:
            raise ValidationError(_("Mã SKU đã thuộc sản phẩm khác: %(codes)s") % {"codes": ", ".join(taken)})
        return cleaned


class ProductPage(CachedPageMixin, Page):
    """A producer's listing. Its SKUs and content are revisioned and moderated; stock is not."""

    base_form_class = ProductPageForm

    product = models.OneToOneField(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="page", editable=False)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("ngành hàng"))
    summary = models.TextField(_("mô tả ngắn"), max_length=500, blank=True)
    story = RichTextField(_("câu chuyện sản phẩm"), blank=True, features=["bold", "italic", "link", "ol", "ul", "h3"])

    content_panels = Page.content_panels + [
        FieldPanel("category"),
        FieldPanel("summary"),
        FieldPanel("story"),
        InlinePanel("gallery", label=_("Ảnh sản phẩm"), max_num=8),
        InlinePanel("sku_rows", label=_("Quy cách và giá (SKU)"), min_num=1),
    ]
    parent_page_types = ["cms.ProducerPage"]
    subpage_types: list[str] = []
    count_visits = True

    class Meta:
        verbose_name = _("trang sản phẩm")

    def publish(self, revision, *args, **kwargs):
        """One transaction: when the catalogue refuses the content (`listing_publish` raises from
        the published signal, after Wagtail has marked the page live) nothing stays changed."""
        with transaction.atomic():
            return super().publish(revision, *args, **kwargs)

    def with_content_json(self, content):
        """The link to the catalogue is not content: an old revision (which may predate the
        product) keeps the current link when it is previewed or published."""
        page = super().with_content_json(content)
        page.product_id = self.product_id
        return page

    @property
    def producer(self) -> Producer:
        return self.get_parent().specific.producer

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        product = published_products(Product.objects.filter(pk=self.product_id)).prefetch_related("batches").first() if self.product_id else None
        context["product"] = product
        context["certificate"] = product.current_certificate() if product else None
        images = get_image_model().objects.prefetch_renditions(*GALLERY_RENDITIONS)
        context["images"] = [item.image for item in self.gallery.prefetch_related(Prefetch("image", queryset=images))]
        context["producer_page"] = self.get_parent()
        return context



class ProductPageImage(Orderable):
    page = ParentalKey(ProductPage, on_delete=models.CASCADE, related_name="gallery")
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.CASCADE, related_name="+")
    caption = models.CharField(_("chú thích"), max_length=200, blank=True)

    panels = [FieldPanel("image"), FieldPanel("caption")]


class ProductPageSku(Orderable):
    """A draft SKU row of a listing; becomes a catalogue `Sku` when the listing is published."""

    page = ParentalKey(ProductPage, on_delete=models.CASCADE, related_name="sku_rows")
    code = models.CharField(_("mã SKU"), max_length=64, validators=[SKU_VALIDATOR])
    unit = models.CharField(_("quy cách"), max_length=60, help_text=_("Ví dụ: túi 5kg, chai 500ml"))
    price_vnd = models.PositiveBigIntegerField(_("giá (đồng)"), validators=[MinValueValidator(1), MaxValueValidator(10**11)])
    weight_gram = models.PositiveIntegerField(_("khối lượng (gam)"), null=True, blank=True)

    panels = [MultiFieldPanel([FieldPanel("code"), FieldPanel("unit"), FieldPanel("price_vnd"), FieldPanel("weight_gram")])]


# News pages, the reminder log and visit counts live in their own modules; importing them here
# registers them with Django (app "cms").
from .articles.pages import ArticlePage, NewsIndexPage  # noqa: E402,F401
from .articles.records import PromotionReminder  # noqa: E402,F401
from .visits import PageVisit  # noqa: E402,F401
