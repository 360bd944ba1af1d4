"""Admin views beside the snippet viewsets: sign-up decisions, QR label sheets, stock counts and
the expiring-certificates report. Each checks the object policies in `cms.permissions`, parses
the request, calls one service and responds."""
from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView
from wagtail.coreutils import multigetattr

from marketplace.catalog import services as catalog
from marketplace.catalog.models import Batch, OcopCertificate, Producer, Sku, Stock

from . import labels, services
from .permissions import batch_policy, certificate_policy, producer_policy, stock_policy

# Sign-up decisions --------------------------------------------------------------------------


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Lý do từ chối"), max_length=255, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Nhà sản xuất sẽ thấy lý do này."))


class ApproveForm(forms.Form):
    pass


class ProducerDecisionView(WagtailAdminTemplateMixin, FormView):
    """Approve or reject a pending sign-up (commune editors of its commune, operators)."""

    template_name = "cms/admin/producer_decision.html"
    header_icon = "user"
    approve = True

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.producer = get_object_or_404(Producer.objects.select_related("commune__parent"), pk=kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        if not producer_policy.user_has_permission_for_instance(request.user, "approve", self.producer):
            raise PermissionDenied
        # A rejected sign-up may still be approved later (the editor changed their mind); only a
        # pending one can be rejected.
        allowed = (Producer.Status.PENDING, Producer.Status.REJECTED) if self.approve else (Producer.Status.PENDING,)
        if self.producer.status not in allowed:
            messages.warning(request, _("Hồ sơ “%(name)s” không còn chờ duyệt.") % {"name": self.producer.name})
            return redirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self):
        return ApproveForm if self.approve else RejectForm

    def get_page_title(self):
        return _("Duyệt đăng ký") if self.approve else _("Từ chối đăng ký")

    def get_page_subtitle(self):
        return self.producer.name

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": self.get_success_url(), "label": Producer._meta.verbose_name_plural.capitalize()},
            {"url": "", "label": self.get_page_title(), "sublabel": self.producer.name},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(producer=self.producer, approve=self.approve, cancel_url=self.get_success_url(), **kwargs)

    def form_valid(self, form):
        if self.approve:
            services.producer_approve(producer=self.producer)
            messages.success(self.request, _("Đã duyệt “%(name)s”: đã tạo trang và cấp quyền cho tài khoản của cơ sở.")
                             % {"name": self.producer.name})
        else:
            services.producer_reject(producer=self.producer, reason=form.cleaned_data["reason"])
            messages.success(self.request, _("Đã từ chối “%(name)s”.") % {"name": self.producer.name})
        return redirect(self.get_success_url())

    def get_success_url(self):
        return reverse(Producer.snippet_viewset.get_url_name("list"))


# QR labels ----------------------------------------------------------------------------------


def batch_labels(request, pk: int, fmt: str):
    """An A4 sheet of QR labels for a batch; `?count=N` labels (default one sheet)."""
    batch = get_object_or_404(Batch.objects.select_related("product__producer"), pk=pk)
    if not batch_policy.user_has_any_permission_for_instance(request.user, ["view", "change"], batch):
        message = _("Bạn không có quyền in tem của lô hàng này.")
        return HttpResponseForbidden(message.encode(), content_type="text/plain; charset=utf-8")
    count = _label_count(request.GET.get("count"))
    sheet = [labels.label_for_batch(batch)] * count
    title = f"Tem QR — {batch.product.name} — {batch.lot_code}"
    filename = f"tem-{slugify(catalog.fold_vietnamese(batch.lot_code)) or batch.code}.{fmt}"
    if fmt == "pdf":
        response = HttpResponse(labels.labels_pdf(sheet, title=title), content_type="application/pdf")
    else:
        response = HttpResponse(labels.labels_svg(sheet, title=title), content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _label_count(raw: str | None) -> int:
    try:
        return min(max(int(raw), 1), labels.MAX_LABELS) if raw else labels.PER_SHEET
    except ValueError:
        return labels.PER_SHEET


# Stock --------------------------------------------------------------------------------------

STOCK_INPUT = re.compile(r"^\d{1,9}$")


class StockView(WagtailAdminTemplateMixin, TemplateView):
    """On-hand stock per SKU, outside page revisions. A row whose input was not touched since the
    page was shown is left alone, so an order taken meanwhile is not overwritten."""

    template_name = "cms/admin/stock.html"
    page_title = _("Tồn kho")
    header_icon = "list-ul"
    per_page = 100

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def dispatch(self, request, *args, **kwargs):
        if not stock_policy.user_has_any_permission(request.user, ["view", "change"]):
            raise PermissionDenied
        self.can_change = stock_policy.user_has_permission(request.user, "change")
        return super().dispatch(request, *args, **kwargs)

    def skus(self, actions):
        scope = stock_policy.scope_q(self.request.user, actions, producer_path="product__producer")
        if scope is None:
            return Sku.objects.none()
        return Sku.objects.filter(scope).select_related("product__producer", "stock")

    def get_context_data(self, errors=None, submitted=None, **kwargs):
        errors, submitted = errors or {}, submitted or {}
        skus = self.skus(["view", "change"]).filter(is_active=True)
        skus = skus.order_by("product__producer__name", "product__name", "position", "pk")
        query = self.request.GET.get("q", "").strip()
        if query:
            skus = skus.filter(
                Q(code__icontains=query) | Q(product__name__icontains=query) | Q(product__producer__name__icontains=query)
            )
        page = Paginator(skus, self.per_page).get_page(self.request.GET.get("p"))
        rows = []
        for sku in page.object_list:
            stock = _stock_of(sku)
            rows.append({
                "sku": sku, "on_hand": stock.on_hand, "reserved": stock.reserved, "available": stock.available,
                "value": submitted.get(sku.pk, stock.on_hand), "error": errors.get(sku.pk),
            })
        return super().get_context_data(rows=rows, page=page, query=query, can_change=self.can_change, **kwargs)

    def post(self, request, *args, **kwargs):
        if not self.can_change:
            raise PermissionDenied
        entries = {int(key[6:]): value.strip() for key, value in request.POST.items() if re.fullmatch(r"stock-\d+", key)}
        skus = list(self.skus(["change"]).filter(pk__in=entries))
        if len(skus) != len(entries):
            raise PermissionDenied  # a SKU outside the user's products
        errors, changed = {}, 0
        for sku in skus:
            raw = entries[sku.pk]
            if raw == request.POST.get(f"orig-{sku.pk}", "").strip():
                continue
            error = _stock_set(sku, raw)
            if error:
                errors[sku.pk] = error
            else:
                changed += 1
        if changed:
            messages.success(request, _("Đã cập nhật tồn kho của %(count)s SKU.") % {"count": changed})
        if errors:
            messages.error(request, _("Chưa lưu %(count)s dòng có lỗi; các dòng khác đã được lưu.") % {"count": len(errors)})
            submitted = {pk: entries[pk] for pk in errors}
            return self.render_to_response(self.get_context_data(errors=errors, submitted=submitted))
        return redirect(request.get_full_path())


def _stock_of(sku: Sku) -> Stock:
    try:
        return sku.stock
    except Stock.DoesNotExist:
        return Stock(sku=sku)


def _stock_set(sku: Sku, raw: str) -> str | None:
    """Set one SKU's stock; the error to show, or None."""
    if not STOCK_INPUT.match(raw):
        return _("Nhập số nguyên không âm, ví dụ 120.")
    try:
        catalog.stock_set(sku=sku, on_hand=int(raw))
    except catalog.OutOfStock:
        reserved = Stock.objects.filter(sku=sku).values_list("reserved", flat=True).first() or 0
        return _("Không thể thấp hơn %(reserved)s đang giữ cho đơn hàng chưa hoàn tất.") % {"reserved": reserved}
    return None


# Expiring certificates ----------------------------------------------------------------------


def certificate_state(certificate: OcopCertificate, today: dt.date | None = None) -> str:
    today = today or timezone.localdate()
    if certificate.is_expired or (certificate.expires_on and certificate.expires_on < today):
        return str(_("Đã hết hạn"))
    if certificate.expires_on:
        return str(_("Còn %(days)s ngày") % {"days": (certificate.expires_on - today).days})
    return str(_("Cần bổ sung số quyết định"))


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


class ExpiringCertificatesView(ReportView):
    """Certificates expiring within OCOP_EXPIRY_WARNING_DAYS, expired ones and incomplete ones,
    limited to the certificates the user may see."""

    model = OcopCertificate
    page_title = _("Chứng nhận OCOP sắp hết hạn")
    header_icon = "warning"
    any_permission_required = ["view", "change"]
    index_url_name = "ocop_certificates_expiring"
    index_results_url_name = "ocop_certificates_expiring_results"
    list_export = ["product.name", "product.producer.name", "product.producer.commune.name", "stars",
                   "decision_number", "issued_on", "expires_on", "state"]
    export_headings = {
        "product.name": _("Sản phẩm"), "product.producer.name": _("Nhà sản xuất"),
        "product.producer.commune.name": _("Xã/phường"), "stars": _("Hạng sao"),
        "decision_number": _("Số quyết định"), "issued_on": _("Ngày cấp"), "expires_on": _("Hết hạn"),
        "state": _("Tình trạng"),
    }

    @property
    def columns(self):
        return [
            TitleColumn("product", label=_("Sản phẩm"), accessor="product.name", get_url=self._edit_url),
            Column("producer", label=_("Nhà sản xuất"), accessor="product.producer.name"),
            Column("commune", label=_("Xã/phường"), accessor="product.producer.commune.name"),
            Column("stars", label=_("Hạng sao"), accessor=lambda c: "★" * c.stars),
            Column("decision_number", label=_("Số quyết định"), accessor=lambda c: c.decision_number or "—"),
            Column("expires_on", label=_("Hết hạn"), accessor=lambda c: _date(c.expires_on)),
            Column("state", label=_("Tình trạng"), accessor=certificate_state),
        ]

    def _edit_url(self, certificate):
        if certificate_policy.user_has_permission(self.request.user, "change"):
            return reverse(OcopCertificate.snippet_viewset.get_url_name("edit"), args=[certificate.pk])
        return None

    def get_base_queryset(self):
        horizon = timezone.localdate() + dt.timedelta(days=settings.OCOP_EXPIRY_WARNING_DAYS)
        return (
            certificate_policy.instances_user_has_any_permission_for(self.request.user, ["view", "change"])
            .filter(Q(expires_on__lte=horizon) | Q(is_expired=True) | Q(needs_completion=True))
            .select_related("product__producer__commune")
            .order_by(F("expires_on").asc(nulls_last=True), "pk")
        )

    def to_row_dict(self, item):
        return {field: certificate_state(item) if field == "state" else multigetattr(item, field) for field in self.list_export}

    def get_filename(self):
        return f"chung-nhan-ocop-sap-het-han-{timezone.localdate():%Y-%m-%d}"


# Dashboard ----------------------------------------------------------------------------------

LOW_STOCK = 5


def todo_items(user) -> list[tuple[str, int, str]]:
    """(label, count, url) of the work waiting for `user`, within their scope."""
    pending = producer_policy.instances_user_has_any_permission_for(user, ["approve"]).filter(status=Producer.Status.PENDING)
    pending_url = reverse(Producer.snippet_viewset.get_url_name("list")) + "?status=pending"
    items = [(_("hồ sơ đăng ký chờ duyệt"), pending.count(), pending_url)]
    if certificate_policy.user_has_any_permission(user, ["view", "change"]):
        horizon = timezone.localdate() + dt.timedelta(days=settings.OCOP_EXPIRY_WARNING_DAYS)
        due = certificate_policy.instances_user_has_any_permission_for(user, ["view", "change"]).filter(
            Q(expires_on__lte=horizon) | Q(is_expired=True) | Q(needs_completion=True))
        items.append((_("chứng nhận OCOP sắp hết hạn hoặc cần bổ sung"), due.count(), reverse("ocop_certificates_expiring")))
    scope = stock_policy.scope_q(user, ["change"], producer_path="product__producer")
    if scope is not None:
        low = Sku.objects.filter(scope, is_active=True, product__is_published=True).filter(
            Q(stock__isnull=True) | Q(stock__on_hand__lt=F("stock__reserved") + LOW_STOCK))
        items.append((_("SKU sắp hết hàng (còn dưới %(n)s)") % {"n": LOW_STOCK}, low.count(), reverse("ocop_stock")))
    return items
