"""The "Đơn hàng" menu and pages of the Wagtail admin (see `admin_views` for who sees what)."""
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_views


@hooks.register("register_admin_urls")
def register_order_urls():
    return [
        path("orders/", admin_views.OrderIndexView.as_view(), name="orders_admin_index"),
        path("orders/results/", admin_views.OrderIndexView.as_view(results_only=True), name="orders_admin_results"),
        path("orders/<int:pk>/", admin_views.OrderDetailView.as_view(), name="orders_admin_detail"),
    ]


class OrdersMenuItem(MenuItem):
    def is_shown(self, request):
        return admin_views.user_sees_orders(request.user)


@hooks.register("register_admin_menu_item")
def orders_menu_item():
    return OrdersMenuItem(_("Đơn hàng"), reverse("orders_admin_index"), name="orders", icon_name="list-ul", order=140)
