"""The live-session admin: a menu item and the views in `admin_views` (scoped by `access`)."""
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import access, admin_views


@hooks.register("register_admin_urls")
def register_livestream_urls():
    return [
        path("livestreams/", admin_views.SessionIndexView.as_view(), name="livestreams_admin_index"),
        path("livestreams/new/", admin_views.SessionEditView.as_view(), name="livestreams_admin_add"),
        path("livestreams/<int:pk>/edit/", admin_views.SessionEditView.as_view(), name="livestreams_admin_edit"),
        path("livestreams/<int:pk>/occurrences/", admin_views.OccurrencesView.as_view(), name="livestreams_admin_occurrences"),
        path("livestreams/<int:pk>/my-products/", admin_views.OwnFeaturedView.as_view(), name="livestreams_admin_own_featured"),
        path("livestreams/<int:pk>/report/", admin_views.ReportView.as_view(), name="livestreams_admin_report"),
        path("livestreams/hosts/", admin_views.HostsView.as_view(), name="livestreams_admin_hosts"),
    ]


class LiveMenuItem(MenuItem):
    def is_shown(self, request):
        return access.can_plan(request.user)


@hooks.register("register_admin_menu_item")
def livestream_menu_item():
    return LiveMenuItem(_("Livestream"), reverse("livestreams_admin_index"), name="livestreams", icon_name="media", order=160)
