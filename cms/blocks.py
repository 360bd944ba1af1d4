"""StreamField blocks of news and promotion articles.

- rich text, cleaned to Wagtail's whitelist on every write and read (`SafeRichTextBlock`);
- an image gallery, an embedded video (oEmbed), a quote;
- a product card: a catalogue product chosen from the editor's communes, shown at render time
  with its live price and OCOP stars. Which products a card may point at (same commune,
  published) is checked by `ArticlePage.clean`, which knows the article's commune.
"""
from __future__ import annotations

from bs4 import BeautifulSoup
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock

from marketplace.catalog.models import Product

RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "link", "ol", "ul"]
# Removed with their content (the whitelist would keep a script's text as plain text).
_DROPPED_TAGS = ["script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math", "form"]


def rich_text_sanitise(html: str, *, features: list[str] | None = None) -> str:
    """Database-format rich text reduced to what the editor's features allow: no scripts, no
    event handlers, no `javascript:` links. Internal page links (`<a linktype="page">`) survive."""
    from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter

    if not html:
        return ""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    for link in soup.find_all("a", attrs={"linktype": True}):
        # The whitelister reads the editor's format; give it that, without a database lookup.
        link.attrs = {"data-linktype": link["linktype"], "data-id": link.get("id", "")}
    return EditorHTMLConverter(features or RICH_TEXT_FEATURES).to_database_format(str(soup))


class SafeRichTextBlock(blocks.RichTextBlock):
    """Rich text that cannot carry scripts, whichever way it was written (editor, API, import)."""

    def get_prep_value(self, value):
        return rich_text_sanitise(super().get_prep_value(value), features=self.features)

    def to_python(self, value):
        return super().to_python(rich_text_sanitise(value, features=self.features))


class ProductChooserBlock(blocks.ChooserBlock):
    """A catalogue product, chosen in the modal of `cms.product_chooser` (the editor's communes)."""

    @cached_property
    def target_model(self):
        return Product

    @cached_property
    def widget(self):
        from .product_chooser import product_chooser_viewset

        return product_chooser_viewset.widget_class()

    class Meta:
        icon = "tag"


# Blocks -----------------------------------------------------------------------------------------


class ProductCardBlock(blocks.StructBlock):
    product = ProductChooserBlock(label=_("Sản phẩm"))
    note = blocks.CharBlock(label=_("Lời giới thiệu"), required=False, max_length=200)

    class Meta:
        icon = "tag"
        label = _("Thẻ sản phẩm")
        template = "cms/blocks/product_card.html"

    def get_context(self, value, parent_context=None):
        from .models import published_products

        context = super().get_context(value, parent_context=parent_context)
        chosen = value.get("product")
        # Price and stars as they are now, not as they were when the article was written.
        product = published_products(Product.objects.filter(pk=chosen.pk)).first() if chosen else None
        context["product"] = product
        context["certificate"] = product.current_certificate() if product else None
        context["sku"] = next(iter(product.skus.all()), None) if product else None
        return context


class GalleryImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Ảnh"))
    caption = blocks.CharBlock(label=_("Chú thích"), required=False, max_length=200)


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Trích dẫn"))
    attribution = blocks.CharBlock(label=_("Người nói"), required=False, max_length=120)

    class Meta:
        icon = "openquote"
        label = _("Trích dẫn")
        template = "cms/blocks/quote.html"


class ArticleBodyBlock(blocks.StreamBlock):
    paragraph = SafeRichTextBlock(features=RICH_TEXT_FEATURES, label=_("Đoạn văn"))
    gallery = blocks.ListBlock(GalleryImageBlock(), label=_("Bộ ảnh"), min_num=1, max_num=12,
                               template="cms/blocks/gallery.html")
    product = ProductCardBlock()
    video = EmbedBlock(label=_("Video"), help_text=_("Đường dẫn YouTube, Facebook hoặc Vimeo"), icon="media")
    quote = QuoteBlock()
