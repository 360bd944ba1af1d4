"""The operator's reconciliation queue and statement upload, in the Wagtail admin.
Views parse, call one service, respond."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import selectors, services
from .gateways import gateways_state
from .models import BankTransaction, Refund
from .statements import StatementError, mapping_parse, statement_parse

PERMISSION = "payments.change_banktransaction"


class _OperatorView(WagtailAdminTemplateMixin, TemplateView):
    header_icon = "doc-full"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]


class ReconciliationView(_OperatorView):
    """Credits waiting for a decision (under, over, unmatched) and manual refunds to pay out."""

    template_name = "payments/admin/reconciliation.html"
    page_title = gettext_lazy("Đối soát chuyển khoản")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "transactions": selectors.bank_transactions_needing_decision()[:200],
                "refunds": selectors.refunds_to_pay_out()[:200]}

    def post(self, request, *args, **kwargs):
        try:
            if "refund" in request.POST:
                refund = get_object_or_404(Refund, pk=request.POST.get("refund"))
                services.refund_mark_paid_out(refund=refund, by=request.user)
                messages.success(request, _("Đã ghi nhận chuyển trả."))
            else:
                record = get_object_or_404(BankTransaction, pk=request.POST.get("transaction"))
                services.bank_transaction_decide(
                    bank_transaction=record, decision=request.POST.get("decision", ""), by=request.user,
                    note=request.POST.get("note", ""), reference=request.POST.get("reference", ""))
                messages.success(request, _("Đã lưu quyết định cho giao dịch %(id)s.") % {"id": record.transaction_id})
        except services.PaymentError as error:
            messages.error(request, error.message)
        return redirect("payments_reconciliation")


class StatementUploadView(_OperatorView):
    """Upload a bank statement CSV: all rows recorded, or none with every error listed."""

    template_name = "payments/admin/statement_upload.html"
    page_title = gettext_lazy("Nhập sao kê ngân hàng")

    def post(self, request, *args, **kwargs):
        upload = request.FILES.get("file")
        errors: list[str] = []
        if upload is None:
            errors = [_("Vui lòng chọn tệp CSV.")]
        elif upload.size > settings.PAYMENTS_STATEMENT_MAX_UPLOAD_SIZE:
            errors = [_("Tệp quá lớn (%(size)s); tối đa %(max)s. Hãy tách sao kê thành nhiều tệp.") % {
                "size": filesizeformat(upload.size), "max": filesizeformat(settings.PAYMENTS_STATEMENT_MAX_UPLOAD_SIZE)}]
        else:
            try:
                text = upload.read().decode("utf-8-sig")
                rows = statement_parse(text=text, mapping=mapping_parse(request.POST.get("mapping", "")))
            except UnicodeDecodeError:
                errors = [_("Tệp phải là CSV mã hoá UTF-8.")]
            except StatementError as error:
                errors = error.errors
        if errors:
            return self.render_to_response(self.get_context_data(errors=errors, mapping=request.POST.get("mapping", "")), status=400)
        counts = services.bank_statement_import(rows=rows)
        messages.success(request, _("Đã nhập %(rows)s dòng: %(summary)s") % {
            "rows": len(rows), "summary": ", ".join(f"{key}: {value}" for key, value in sorted(counts.items()))})
        return redirect("payments_reconciliation")


class GatewaysView(_OperatorView):
    """Read-only: each payment method, whether it is on, and which settings it still needs.
    Settings come from the environment, so nothing here can be changed from the admin."""

    template_name = "payments/admin/gateways.html"
    page_title = gettext_lazy("Cổng thanh toán")
    header_icon = "cog"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "gateways": gateways_state()}
