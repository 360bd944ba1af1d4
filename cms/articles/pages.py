"""News pages under each commune page: Commune → NewsIndexPage → ArticlePage.

An article is news or a promotion; communes are measured on publishing at least one promotion
article a month (Vietnam time), counted by `first_published_at`. Articles go through the
commune's moderation workflow (set on the commune page, so it covers its whole subtree).
"""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel
from wagtail.blocks import StreamBlockValidationError, StructBlockValidationError
from wagtail.fields import StreamField
from wagtail.models import Page

from cms.blocks import ArticleBodyBlock
from cms.models import CachedPageMixin, CommunePage

OG_RENDITION = "fill-1200x630|format-jpeg"


class NewsIndexPage(CachedPageMixin, Page):
    """A commune's news list (one per commune), newest first, paginated."""

    intro = models.TextField(_("giới thiệu"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["cms.CommunePage"]
    subpage_types = ["cms.ArticlePage"]

    class Meta:
        verbose_name = _("trang tin tức xã")

    @classmethod
    def can_create_at(cls, parent) -> bool:
        return super().can_create_at(parent) and not cls.objects.child_of(parent).exists()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        articles = ArticlePage.objects.live().child_of(self).select_related("feed_image").order_by("-first_published_at", "-pk")
        kind = request.GET.get("loai")
        if kind in ArticlePage.Kind.values:
            articles = articles.filter(kind=kind)
        context["articles"] = Paginator(articles, settings.NEWS_PAGE_SIZE).get_page(request.GET.get("trang"))
        context["kind"] = kind if kind in ArticlePage.Kind.values else ""
        context["commune_page"] = self.get_parent().specific
        return context


class ArticlePageForm(WagtailAdminPageForm):
    """Lets `ArticlePage.clean` know the commune of an article that is not in the tree yet."""

    def __init__(self, *args, parent_page=None, **kwargs):
        super().__init__(*args, parent_page=parent_page, **kwargs)
        self.instance._parent_for_clean = parent_page


class ArticlePage(CachedPageMixin, Page):
    class Kind(models.TextChoices):
        NEWS = "news", _("Tin tức")
        PROMOTION = "promotion", _("Bài quảng bá sản phẩm")

    base_form_class = ArticlePageForm

    kind = models.CharField(_("loại bài"), max_length=10, choices=Kind.choices, default=Kind.NEWS, db_index=True,
                            help_text=_("Mỗi tháng xã cần ít nhất một bài quảng bá sản phẩm."))
    intro = models.TextField(_("tóm tắt"), max_length=300,
                             help_text=_("Hiện trong danh sách tin và khi chia sẻ lên Zalo, Facebook."))
    feed_image = models.ForeignKey("wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("ảnh đại diện"))
    body = StreamField(ArticleBodyBlock(), verbose_name=_("nội dung"))

    content_panels = Page.content_panels + [FieldPanel("kind"), FieldPanel("intro"), FieldPanel("feed_image"), FieldPanel("body")]
    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("bài viết")
        verbose_name_plural = _("bài viết")

    def commune_page(self) -> CommunePage | None:
        parent = self.get_parent() or getattr(self, "_parent_for_clean", None)
        if parent is None:
            return None
        return CommunePage.objects.filter(pk=parent.get_parent().pk).select_related("admin_unit__parent").first()

    def clean(self):
        super().clean()
        commune_page = self.commune_page()
        if commune_page is None:
            return
        errors = product_card_errors(body=self.body, commune_id=commune_page.admin_unit_id, commune_name=commune_page.admin_unit.name)
        if errors:
            raise ValidationError({"body": ProductCardErrors(block_errors=errors)})

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["news_index"] = self.get_parent()
        context["og_image_url"] = og_image_url(self)
        return context


class ProductCardErrors(StreamBlockValidationError):
    """Shown at each offending card in the editor; its message (for callers outside the admin)
    lists the cards' problems instead of Wagtail's generic text."""

    def __init__(self, block_errors):
        super().__init__(block_errors=block_errors)
        self.message = " ".join(str(e.block_errors["product"].messages[0]) for e in block_errors.values())


def product_card_errors(*, body, commune_id: int, commune_name: str) -> dict[int, ValidationError]:
    """Errors per block index for product cards pointing outside the commune or at unpublished products."""
    errors = {}
    for index, child in enumerate(body):
        if child.block_type != "product":
            continue
        product = child.value.get("product")
        if product is None:
            message = _("Sản phẩm này không còn tồn tại; hãy chọn sản phẩm khác.")
        elif product.producer.commune_id != commune_id:
            message = _("Sản phẩm “%(product)s” không thuộc %(commune)s; chỉ được giới thiệu sản phẩm của xã mình.") % {
                "product": product.name, "commune": commune_name}
        elif not product.is_published:
            message = _("Sản phẩm “%(product)s” chưa được đăng bán; hãy chọn sản phẩm đang bán.") % {"product": product.name}
        else:
            continue
        errors[index] = StructBlockValidationError(block_errors={"product": ValidationError(message)})
    return errors


def og_image_url(article: ArticlePage) -> str:
    """An absolute URL of the article's share image (Zalo and Facebook fetch it themselves)."""
    if not article.feed_image_id:
        return ""
    url = article.feed_image.get_rendition(OG_RENDITION).url
    return url if url.startswith(("http://", "https://")) else settings.SITE_BASE_URL.rstrip("/") + url
