from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_views


@hooks.register("register_admin_urls")
def register_payments_urls():
    return [
        path("payments/reconciliation/", admin_views.ReconciliationView.as_view(), name="payments_reconciliation"),
        path("payments/statement/", admin_views.StatementUploadView.as_view(), name="payments_statement_upload"),
        path("payments/gateways/", admin_views.GatewaysView.as_view(), name="payments_gateways"),
    ]


class OperatorMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(admin_views.PERMISSION)


@hooks.register("register_admin_menu_item")
def reconciliation_menu_item():
    return OperatorMenuItem(_("Đối soát chuyển khoản"), reverse("payments_reconciliation"), name="payments-reconciliation",
                            icon_name="doc-full", order=900)


@hooks.register("register_settings_menu_item")
def gateways_settings_menu_item():
    return OperatorMenuItem(_("Cổng thanh toán"), reverse("payments_gateways"), name="payments-gateways", icon_name="cog",
                            order=900)
