"""The OCOP admin: producers, certificates and batches as snippets limited to the user's communes
or producers, plus sign-up decisions, QR labels, stock and the expiring-certificates report.

Roles (`marketplace.access`): an operator is a superuser or in the operators group; a commune
editor is in the commune's editors group and "Biên tập viên xã"; a producer is in
`Producer.users`, its page's owners group and "Nhà sản xuất" (see `cms.services`). Model
permissions come from those groups; `cms.permissions` limits rows, choosers included.
"""
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.menus import MenuItem as ListingMenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets import ListingButton
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from marketplace import access
from marketplace.catalog.models import Batch, OcopCertificate, Producer, Stock

from . import admin_forms, admin_views, dashboards, page_bookkeeping
from .articles.selectors import dashboard_communes
from .product_chooser import product_chooser_viewset
from .admin_scoped import ScopedEditView, ScopedSnippetViewSet
from .labels import traceability_url
from .models import ProducerPage
from .permissions import batch_policy, certificate_policy, producer_policy, stock_policy

# Registered before anything asks the registry, or Wagtail would create fallback policies.
register_permission_policy(Producer, producer_policy)
register_permission_policy(OcopCertificate, certificate_policy)
register_permission_policy(Batch, batch_policy)
register_permission_policy(Stock, stock_policy)


# Producers ---------------------------------------------------------------------------------


class ProducerIndexView(snippet_views.IndexView):
    @cached_property
    def approvable_ids(self) -> set[int]:
        pending = producer_policy.instances_user_has_any_permission_for(self.request.user, ["approve"])
        return set(pending.filter(status__in=[Producer.Status.PENDING, Producer.Status.REJECTED]).values_list("pk", flat=True))

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.pk in self.approvable_ids:
            approve_url = reverse("ocop_producer_approve", args=[instance.pk])
            buttons.append(ListingButton(_("Duyệt"), url=approve_url, icon_name="check", priority=1))
            if instance.status == Producer.Status.PENDING:
                reject_url = reverse("ocop_producer_reject", args=[instance.pk])
                buttons.append(ListingButton(_("Từ chối"), url=reject_url, icon_name="cross", priority=2))
        return buttons


class ProducerViewSet(ScopedSnippetViewSet):
    """Sign-ups and producer records. Editors decide on their communes' sign-ups; a producer edits
    its own record, never its status or commune."""

    model = Producer
    url_prefix = "ocop/producers"
    icon = "group"
    menu_label = _("Nhà sản xuất")
    index_view_class = ProducerIndexView
    list_display = ["name", "commune", "kind", "status", "phone"]
    list_filter = ["status", "kind"]
    search_fields = ["name", "tax_code", "address"]
    select_related = ("commune",)
    edit_handler = ObjectList([
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("phone"), FieldPanel("tax_code")]),
        FieldPanel("commune", permission="superuser"),
        FieldPanel("address"),
        FieldRowPanel([FieldPanel("latitude"), FieldPanel("longitude")], heading=_("Vị trí trên bản đồ")),
        FieldPanel("story"),
        MultiFieldPanel([FieldPanel("status", read_only=True), FieldPanel("rejection_reason", read_only=True)],
                        heading=_("Duyệt hồ sơ")),
    ])


# OCOP certificates -------------------------------------------------------------------------


class CertificateCreateView(snippet_views.CreateView):
    def save_instance(self):
        return admin_forms.certificate_save(self.form, user=self.request.user, created=True)


class CertificateEditView(ScopedEditView):
    def save_instance(self):
        return admin_forms.certificate_save(self.form, user=self.request.user, created=False)


class CertificateViewSet(ScopedSnippetViewSet):
    """Editors keep their communes' certificates; expiry (issued + 36 months) and 'needs
    completion' are computed by the catalogue on save."""

    model = OcopCertificate
    url_prefix = "ocop/certificates"
    icon = "success"
    menu_label = _("Chứng nhận OCOP")
    add_view_class = CertificateCreateView
    edit_view_class = CertificateEditView
    list_display = ["__str__", "product", "stars", "issued_on", "expires_on", "needs_completion"]
    list_filter = ["stars", "needs_completion", "is_expired", "criteria_group"]
    search_fields = ["product__name", "decision_number"]
    select_related = ("product",)
    edit_handler = ObjectList([
        FieldPanel("product"),
        FieldRowPanel([FieldPanel("stars", widget=admin_forms.STARS_WIDGET), FieldPanel("criteria_group")]),
        FieldRowPanel([FieldPanel("decision_number"), FieldPanel("issued_on")]),
        FieldPanel("issuer"),
        MultiFieldPanel([
            FieldPanel("expires_on", read_only=True), FieldPanel("needs_completion", read_only=True),
            FieldPanel("is_expired", read_only=True),
        ], heading=_("Hiệu lực")),
    ], base_form_class=admin_forms.CertificateForm)


# Batches ----------------------------------------------------------------------------------


class LinkColumn(Column):
    cell_template_name = "cms/admin/_link_cell.html"


class BatchIndexView(snippet_views.IndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        buttons += [
            ListingButton(_("In tem QR"), url=reverse("ocop_batch_labels_pdf", args=[instance.pk]), icon_name="doc-full",
                          attrs={"target": "_blank"}, priority=1),
            ListingMenuItem(_("Tem QR dạng SVG"), url=reverse("ocop_batch_labels_svg", args=[instance.pk]), icon_name="image",
                            priority=40),
        ]
        return buttons


class BatchViewSet(ScopedSnippetViewSet):
    """A producer's lots, each with a public traceability page and printable QR labels."""

    model = Batch
    url_prefix = "ocop/batches"
    icon = "tag"
    menu_label = _("Lô hàng")
    index_view_class = BatchIndexView
    list_display = [
        "__str__", "produced_on", "best_before", LinkColumn("trace", label=_("Trang truy xuất"), accessor=traceability_url),
    ]
    search_fields = ["lot_code", "code", "product__name"]
    select_related = ("product",)
    edit_handler = ObjectList([
        FieldPanel("product"),
        FieldRowPanel([FieldPanel("lot_code"), FieldPanel("gtin")]),
        FieldRowPanel([FieldPanel("produced_on"), FieldPanel("best_before")]),
        FieldPanel("growing_area_code"),
        FieldPanel("inputs"),
        FieldPanel("certifications"),
        FieldPanel("code", read_only=True),
    ], base_form_class=admin_forms.BatchForm)


class OcopViewSetGroup(SnippetViewSetGroup):
    items = (ProducerViewSet, CertificateViewSet, BatchViewSet)
    menu_label = _("OCOP")
    menu_name = "ocop"
    menu_icon = "pick"
    menu_order = 150
    submenu_hook = "register_ocop_menu_item"


register_snippet(OcopViewSetGroup)


# Further views, and their menu items -----------------------------------------------------------


@hooks.register("register_admin_urls")
def register_ocop_urls():
    return [
        path("ocop/producers/<int:pk>/approve/", admin_views.ProducerDecisionView.as_view(approve=True),
             name="ocop_producer_approve"),
        path("ocop/producers/<int:pk>/reject/", admin_views.ProducerDecisionView.as_view(approve=False),
             name="ocop_producer_reject"),
        path("ocop/batches/<int:pk>/labels.pdf", admin_views.batch_labels, {"fmt": "pdf"}, name="ocop_batch_labels_pdf"),
        path("ocop/batches/<int:pk>/labels.svg", admin_views.batch_labels, {"fmt": "svg"}, name="ocop_batch_labels_svg"),
        path("ocop/stock/", admin_views.StockView.as_view(), name="ocop_stock"),
        path("ocop/certificates/expiring/", admin_views.ExpiringCertificatesView.as_view(), name="ocop_certificates_expiring"),
        path("ocop/certificates/expiring/results/", admin_views.ExpiringCertificatesView.as_view(results_only=True),
             name="ocop_certificates_expiring_results"),
    ]


class PolicyMenuItem(MenuItem):
    """Shown to users whose model permissions allow any of `actions` under `policy`."""

    def __init__(self, *args, policy, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy, self.actions = policy, actions

    def is_shown(self, request):
        return self.policy.user_has_any_permission(request.user, self.actions)


@hooks.register("register_ocop_menu_item")
def stock_menu_item():
    return PolicyMenuItem(_("Tồn kho"), reverse("ocop_stock"), name="ocop-stock", icon_name="list-ul", order=10,
                          policy=stock_policy, actions=["view", "change"])


@hooks.register("register_ocop_menu_item")
def expiring_menu_item():
    return PolicyMenuItem(_("Chứng nhận sắp hết hạn"), reverse("ocop_certificates_expiring"), name="ocop-expiring",
                          icon_name="warning", order=11, policy=certificate_policy, actions=["view", "change"])


# A producer page's producer: only an operator changes it ----------------------------------------


@hooks.register("before_edit_page")
def keep_producer_page_owner(request, page):
    """The producer page form offers a producer chooser; a producer or editor who posts another
    producer would hand the page (and its products) to someone else, so only operators may."""
    if request.method != "POST" or access.is_operator(request.user) or not isinstance(page, ProducerPage):
        return None
    if request.POST.get("producer", str(page.producer_id)) == str(page.producer_id):
        return None
    messages.error(request, _("Chỉ người vận hành mới đổi được nhà sản xuất của trang này."))
    return redirect("wagtailadmin_pages:edit", page.pk)


# Dashboard: what is waiting for this user ---------------------------------------------------------


class OcopTodoPanel(Component):
    """Pending sign-ups and certificates due (editors, operators); SKUs running out (producers)."""

    name = "ocop_todo"
    template_name = "cms/admin/todo_panel.html"
    order = 50

    def get_context_data(self, parent_context):
        items = [(label, count, url) for label, count, url in admin_views.todo_items(parent_context["request"].user) if count]
        return {"items": items}


@hooks.register("construct_homepage_panels")
def add_ocop_todo_panel(request, panels):
    panels.append(OcopTodoPanel())


# News: the product chooser of article cards, and the dashboards ------------------------------------


@hooks.register("register_admin_viewset")
def register_product_chooser():
    return product_chooser_viewset


@hooks.register("register_admin_urls")
def register_news_dashboard_urls():
    return [
        path("ocop/news/compliance/", dashboards.ComplianceView.as_view(), name="ocop_news_compliance"),
        path("ocop/news/coverage/", dashboards.CoverageView.as_view(), name="ocop_news_coverage"),
    ]


class DashboardMenuItem(MenuItem):
    """Shown to operators, province officers and commune editors."""

    def is_shown(self, request):
        return dashboard_communes(request.user) is not None


@hooks.register("register_ocop_menu_item")
def compliance_menu_item():
    return DashboardMenuItem(_("Bài quảng bá hằng tháng"), reverse("ocop_news_compliance"), name="ocop-news-compliance",
                             icon_name="date", order=20)


@hooks.register("register_ocop_menu_item")
def coverage_menu_item():
    return DashboardMenuItem(_("Độ phủ sản phẩm theo xã"), reverse("ocop_news_coverage"), name="ocop-news-coverage",
                             icon_name="table", order=21)


@hooks.register("register_log_actions")
def register_import_log_action(actions):
    """Pages the listings import writes in bulk say so in their history."""
    actions.register_action(page_bookkeeping.IMPORT_ACTION, page_bookkeeping.IMPORT_LABEL,
                            page_bookkeeping.IMPORT_MESSAGE)
