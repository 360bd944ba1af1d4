from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from marketplace.access import is_operator

from .admin_views import LockoutsView


@hooks.register("register_admin_urls")
def register_lockout_urls():
    return [path("ocop/logins/", LockoutsView.as_view(), name="ocop_login_lockouts")]


class OperatorMenuItem(MenuItem):
    def is_shown(self, request):
        return is_operator(request.user)


@hooks.register("register_settings_menu_item")
def lockouts_menu_item():
    return OperatorMenuItem(_("Đăng nhập bị khoá"), reverse("ocop_login_lockouts"), name="ocop-login-lockouts",
                            icon_name="lock", order=900)
