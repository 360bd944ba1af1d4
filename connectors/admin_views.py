"""Admin views: a product's platforms (with opt-out), sync health (with the two actions on platform
orders needing attention), coverage per commune and the connections. Each checks scope
(marketplace.access), parses, calls one service or selector, responds. A connection's base URL
is the operators' alone: the editors' form has no such field."""
from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View
from wagtail.admin import messages
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from marketplace import access
from marketplace.access import is_operator
from marketplace.catalog.models import AdminUnit, Product

from . import registry, selectors, services
from .models import Connection, Platform, PlatformOrder
from .services import connections as connection_services
from .services import orders as order_services


def product_scope(user, actions=("view", "change")) -> Q | None:
    """Products the user may see (operators: all; editors: their communes'; producers: their own),
    for users whose role lets them see or change stock."""
    if is_operator(user):
        return Q()
    if not user.is_active or not any(user.has_perm(f"catalog.{action}_stock") for action in actions):
        return None
    return access.producer_scope_q(user, path="producer")


def editor_commune_codes(user) -> set[str]:
    return set(AdminUnit.objects.filter(pk__in=access.editor_commune_ids(user)).values_list("code", flat=True))


def can_view_health(user) -> bool:
    """Who may open the sync-health view (and use its actions): operators and commune editors."""
    return is_operator(user) or bool(editor_commune_codes(user))


def platform_orders_scope(user):
    """Platform orders the user may see and handle: operators all (they span communes); others none."""
    return PlatformOrder.objects.all() if is_operator(user) else PlatformOrder.objects.none()


class AdminPage(WagtailAdminTemplateMixin, TemplateView):
    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]


class ProductPlatformsView(AdminPage):
    """Where each SKU of one product is listed, in plain words, with an opt-out per platform."""

    template_name = "connectors/admin/product_platforms.html"
    page_title = _("Sàn TMĐT")
    header_icon = "globe"

    def dispatch(self, request, *args, **kwargs):
        scope = product_scope(request.user)
        if scope is None:
            raise PermissionDenied
        self.product = get_object_or_404(Product.objects.filter(scope).select_related("producer__commune"), pk=kwargs["product_id"])
        change = product_scope(request.user, ("change",))
        self.can_change = change is not None and Product.objects.filter(change, pk=self.product.pk).exists()
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.product.name

    def get_context_data(self, **kwargs):
        platforms, rows, outs = selectors.product_platform_rows(product=self.product)
        switches = [{"platform": p, "label": Platform(p).label, "on": p not in outs} for p in platforms]
        return super().get_context_data(product=self.product, platforms=platforms, rows=rows, switches=switches,
                                        can_change=self.can_change, **kwargs)

    def post(self, request, *args, **kwargs):
        platform = request.POST.get("platform", "")
        if not self.can_change:
            raise PermissionDenied
        if platform not in Platform.values:
            messages.error(request, _("Sàn không hợp lệ."))
        else:
            off = request.POST.get("enabled") != "1"
            services.opt_out_set(product_id=self.product.pk, platform=platform, opted_out=off)
            label = Platform(platform).label
            message = _("Đã tắt bán “%(product)s” trên %(p)s; tin đăng sẽ được gỡ.") if off else \
                _("Đã bật lại bán “%(product)s” trên %(p)s.")
            messages.success(request, message % {"product": self.product.name, "p": label})
        return redirect(request.get_full_path())


class SyncHealthView(AdminPage):
    """Per platform lane: queued, in flight, waiting for a retry, failed with reasons, last success."""

    template_name = "connectors/admin/health.html"
    page_title = _("Tình trạng đồng bộ sàn")
    header_icon = "pulse"

    def dispatch(self, request, *args, **kwargs):
        if not can_view_health(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        scope = None if is_operator(user) else Q(sku__product__producer__commune_id__in=access.editor_commune_ids(user))
        orders = selectors.orders_needing_attention() if scope is None else []
        return super().get_context_data(lanes=selectors.sync_health(sku_scope=scope), orders=orders,
                                        reason_max_length=RejectOrderForm.base_fields["reason"].max_length, **kwargs)


class RejectOrderForm(forms.Form):
    reason = forms.CharField(label=_("Lý do từ chối"), max_length=1000, error_messages={"required": _("Hãy ghi lý do từ chối đơn.")})


class AttentionOrderActionView(View):
    """POST from the health view on one platform order needing attention: "Thử lại" (take it again
    against today's catalogue) or "Từ chối" (with a reason). Back to the health view with a message;
    a second submit finds the order handled and changes nothing."""

    http_method_names = ("post",)
    action = ""  # "retry" | "reject"

    def dispatch(self, request, *args, **kwargs):
        if not can_view_health(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, order_id: int):
        row = get_object_or_404(platform_orders_scope(request.user), pk=order_id)
        names = {"id": row.external_id, "platform": Platform(row.platform).label}
        try:
            if self.action == "retry":
                result = order_services.attention_order_retry(order_id=row.pk)
                if result.imported:
                    messages.success(request, _("Đã nhận đơn %(id)s từ %(platform)s: hàng đã được giữ trong kho, nhà sản xuất đã "
                                                "được báo đơn mới; đơn sẽ được xác nhận với %(platform)s.") % names)
                else:
                    messages.error(request, _("Đơn %(id)s vẫn chưa nhận được: %(reason)s") % {
                        **names, "reason": result.row.attention_reason})
            else:
                form = RejectOrderForm(request.POST)
                if not form.is_valid():
                    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
                    return redirect(_health_orders_url())
                result = order_services.attention_order_reject(order_id=row.pk, user=request.user,
                                                              reason=form.cleaned_data["reason"])
                messages.success(request, _("Đã từ chối đơn %(id)s từ %(platform)s.") % names)
                if result.rejected_on_platform:
                    messages.success(request, _("%(platform)s đã nhận lệnh từ chối đơn %(id)s.") % names)
                else:
                    messages.warning(request, _("%(platform)s không có cách từ chối đơn qua API: hãy huỷ đơn %(id)s trên trang "
                                                "người bán của %(platform)s.") % names)
        except order_services.AttentionOrderHandled as error:
            messages.warning(request, error.message)
        except order_services.AttentionOrderError as error:
            messages.error(request, error.message)
        return redirect(_health_orders_url())


def _health_orders_url() -> str:
    return reverse("connectors_health") + "#don-can-xu-ly"


class CoverageView(AdminPage):
    """Per commune: OCOP products live on at least one platform, e.g. 10/10."""

    template_name = "connectors/admin/coverage.html"
    page_title = _("Độ phủ sàn TMĐT theo xã")
    header_icon = "site"

    def dispatch(self, request, *args, **kwargs):
        self.scope = product_scope(request.user, ("view", "change"))
        if self.scope is None:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(communes=selectors.commune_coverage(product_scope=self.scope),
                                        platforms=[Platform(p).label for p in selectors.configured_platforms()], **kwargs)


class ConnectionForm(forms.Form):
    """What a commune editor sets for their commune's key: never the address it is sent to."""

    key_id = forms.CharField(label=_("Mã ứng dụng / client id"), required=False, max_length=200)
    secret = forms.CharField(label=_("Khóa bí mật"), required=False, max_length=500, widget=forms.PasswordInput,
                             help_text=_("Để trống để giữ khóa đang lưu."))
    shop_id = forms.CharField(label=_("Mã cửa hàng"), required=False, max_length=100)
    webhook_secret = forms.CharField(label=_("Khóa ký webhook"), required=False, max_length=500, widget=forms.PasswordInput,
                                     help_text=_("Để trống để giữ khóa đang lưu."))
    enabled = forms.BooleanField(label=_("Đang bật"), required=False, initial=True)


class OperatorConnectionForm(ConnectionForm):
    """Operators also set the platform's address (checked: no address inside our own network)."""

    base_url = forms.URLField(label=_("Địa chỉ API"), required=False, validators=[connection_services.base_url_validate])
    field_order = ["base_url"]


def connection_form_class(user) -> type[ConnectionForm]:
    return OperatorConnectionForm if is_operator(user) else ConnectionForm


def allowed_lanes(user) -> list[tuple[str, str]]:
    """(platform, account) pairs the user may configure: operators any; editors their communes' 37nghean key."""
    if is_operator(user):
        pairs = [(Platform.POSTMART.value, ""), (Platform.VOSO.value, "")]
        pairs += [(Platform.NGHEAN37.value, c) for c in sorted(set(Connection.objects.filter(platform=Platform.NGHEAN37)
                                                                   .values_list("account", flat=True)))]
        return pairs
    return [(Platform.NGHEAN37.value, code) for code in sorted(editor_commune_codes(user))]


class ConnectionsView(AdminPage):
    """The platform connections: where each comes from, credentials masked, and a form per lane."""

    template_name = "connectors/admin/connections.html"
    page_title = _("Kết nối sàn TMĐT")
    header_icon = "link"

    def dispatch(self, request, *args, **kwargs):
        self.allowed = allowed_lanes(request.user)
        if not self.allowed and not is_operator(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, form=None, editing=None, **kwargs):
        env_keys = registry.env_lane_keys()
        active = {(lane.platform, lane.account): lane for lane in registry.lanes()}
        rows = {(c.platform, c.account): c for c in Connection.objects.all()}
        entries = []
        for platform, account in sorted(set(self.allowed) | (set(active) if is_operator(self.request.user) else set())):
            lane, row = active.get((platform, account)), rows.get((platform, account))
            entries.append({
                "platform": platform, "account": account, "label": Platform(platform).label,
                "from_env": (platform, account) in env_keys, "active": lane is not None,
                "key_id": (lane.key_id if lane else row.key_id if row else ""),
                "secret": registry.mask(lane.secret if lane else row.secret if row else ""),
                "url": lane.base_url if lane else (row.base_url if row else ""),
                "editable": (platform, account) in self.allowed and (platform, account) not in env_keys,
            })
        form = form or connection_form_class(self.request.user)()
        return super().get_context_data(entries=entries, form=form, editing=editing, is_operator=is_operator(self.request.user),
                                        platforms=Platform.choices, **kwargs)

    def post(self, request, *args, **kwargs):
        platform, account = request.POST.get("platform", ""), request.POST.get("account", "").strip()
        if (platform, account) not in self.allowed and not (is_operator(request.user) and platform == Platform.NGHEAN37):
            raise PermissionDenied
        form = connection_form_class(request.user)(request.POST)
        if form.is_valid():
            try:
                services.connection_save(platform=platform, account=account, values=form.cleaned_data, by=request.user)
            except ValueError:
                messages.error(request, _("Kết nối này được đặt bằng biến môi trường, không sửa được ở đây."))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Đã lưu kết nối %(p)s.") % {"p": Platform(platform).label})
                return redirect(reverse("connectors_connections"))
        return self.render_to_response(self.get_context_data(form=form, editing=(platform, account)))
