"""The connectors in the Wagtail admin: a "Sàn TMĐT" page per product (linked from the product
page's header and listing menus), sync health (with "Thử lại" / "Từ chối" on platform orders
needing attention), coverage per commune and the connections."""
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem, SubmenuMenuItem
from wagtail.admin.menu import Menu
from wagtail.admin.ui.menus.pages import PageMenuItem

from marketplace import access

from . import admin_views


@hooks.register("register_admin_urls")
def register_connector_urls():
    return [
        path("connectors/products/<int:product_id>/", admin_views.ProductPlatformsView.as_view(), name="connectors_product"),
        path("connectors/health/", admin_views.SyncHealthView.as_view(), name="connectors_health"),
        path("connectors/orders/<int:order_id>/retry/", admin_views.AttentionOrderActionView.as_view(action="retry"),
             name="connectors_order_retry"),
        path("connectors/orders/<int:order_id>/reject/", admin_views.AttentionOrderActionView.as_view(action="reject"),
             name="connectors_order_reject"),
        path("connectors/coverage/", admin_views.CoverageView.as_view(), name="connectors_coverage"),
        path("connectors/connections/", admin_views.ConnectionsView.as_view(), name="connectors_connections"),
    ]


class ProductPlatformsButton(PageMenuItem):
    label = _("Sàn TMĐT")
    icon_name = "globe"

    def __init__(self, *, page, product_id: int, priority: int):
        super().__init__(page=page, priority=priority)
        self.url = reverse("connectors_product", args=[product_id])


def _product_id(page) -> int | None:
    """The catalogue product a listing page presents (None for other pages). Asked of the page's
    model rather than by importing cms: the connectors sit beside the pages, not above them."""
    model = page.specific_class
    fields = {field.name: field for field in model._meta.concrete_fields} if model is not None else {}
    if getattr(fields.get("product"), "related_model", None) is not admin_views.Product:
        return None
    return model.objects.filter(pk=page.pk).values_list("product_id", flat=True).first()


def _product_button(page, user, priority):
    product_id = _product_id(page)
    if not product_id:
        return
    scope = admin_views.product_scope(user)
    if scope is not None and admin_views.Product.objects.filter(scope, pk=product_id).exists():
        yield ProductPlatformsButton(page=page, product_id=product_id, priority=priority)


@hooks.register("register_page_header_buttons")
def product_platforms_header_button(page, user, view_name, next_url=None):
    yield from _product_button(page, user, priority=40)


@hooks.register("register_page_listing_more_buttons")
def product_platforms_listing_button(page, user, next_url=None):
    yield from _product_button(page, user, priority=45)


class ShownTo(MenuItem):
    def __init__(self, *args, check, **kwargs):
        super().__init__(*args, **kwargs)
        self.check = check

    def is_shown(self, request):
        return self.check(request.user)


def _editor_or_operator(user) -> bool:
    return access.is_operator(user) or access.is_editor(user)


@hooks.register("register_admin_menu_item")
def connectors_menu():
    menu = Menu(items=[
        ShownTo(_("Tình trạng đồng bộ"), reverse("connectors_health"), name="connectors-health", icon_name="pulse", order=1,
                check=_editor_or_operator),
        ShownTo(_("Độ phủ theo xã"), reverse("connectors_coverage"), name="connectors-coverage", icon_name="site", order=2,
                check=lambda user: admin_views.product_scope(user) is not None),
        ShownTo(_("Kết nối sàn"), reverse("connectors_connections"), name="connectors-connections", icon_name="link", order=3,
                check=_editor_or_operator),
    ])
    return SubmenuMenuItem(_("Sàn TMĐT"), menu, name="connectors", icon_name="globe", order=160)
