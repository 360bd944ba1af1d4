"""Admin dashboards of the news area: promotion compliance (communes × months, CSV export) and
coverage per commune. Operators see every commune, province officers their province's,
commune editors their own (`cms.articles.selectors.dashboard_communes`)."""
from __future__ import annotations

import datetime as dt
import re

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from marketplace import spreadsheets
from marketplace.catalog.models import AdminUnit

from .articles.coverage import commune_coverage
from .articles.selectors import CellState, dashboard_communes, month_start, promotion_compliance

MONTH_INPUT = re.compile(r"^(\d{4})-(\d{2})$")
MAX_MONTHS = 24
STATE_LABELS = {
    CellState.PUBLISHED: _("đã đăng"),
    CellState.MISSED: _("thiếu"),
    CellState.IN_PROGRESS: _("chưa đăng (tháng đang diễn ra)"),
    CellState.NO_DATA: _("không có dữ liệu"),
}


class DashboardMixin(WagtailAdminTemplateMixin):
    header_icon = "doc-full"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def dispatch(self, request, *args, **kwargs):
        communes = dashboard_communes(request.user)
        if communes is None:
            raise PermissionDenied
        self.provinces = AdminUnit.objects.filter(pk__in=communes.values("admin_unit__parent_id")).order_by("name")
        self.province = self.provinces.filter(code=request.GET.get("province", "")).first()
        self.communes = communes.filter(admin_unit__parent=self.province) if self.province else communes
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(provinces=self.provinces, province=self.province, **kwargs)


class ComplianceView(DashboardMixin, TemplateView):
    template_name = "cms/admin/news_compliance.html"
    page_title = _("Bài quảng bá hằng tháng")

    def get(self, request, *args, **kwargs):
        self.months = self.parse_months()
        self.table = promotion_compliance(communes=self.communes, months=self.months)
        if request.GET.get("export") == "csv":
            return self.csv_response()
        return super().get(request, *args, **kwargs)

    def parse_months(self) -> list[dt.date]:
        """The months shown: `months` (1–24, default 12) ending with `until` (YYYY-MM, default now)."""
        current = month_start(timezone.localdate())
        until, count = current, 12
        raw_until, raw_count = self.request.GET.get("until", "").strip(), self.request.GET.get("months", "").strip()
        if raw_until:
            match = MONTH_INPUT.match(raw_until)
            if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
                messages.error(self.request, _t("Tháng “%(value)s” không hợp lệ; nhập theo dạng NNNN-TT, ví dụ 2025-07.") % {"value": raw_until})
            elif dt.date(int(match.group(1)), int(match.group(2)), 1) > current:
                messages.warning(self.request, _t("Tháng %(value)s chưa tới; bảng dừng ở tháng này.") % {"value": raw_until})
            else:
                until = dt.date(int(match.group(1)), int(match.group(2)), 1)
        if raw_count:
            if raw_count.isdigit() and 1 <= int(raw_count) <= MAX_MONTHS:
                count = int(raw_count)
            else:
                messages.error(self.request, _t("Số tháng phải từ 1 đến %(max)s.") % {"max": MAX_MONTHS})
        return [until - relativedelta(months=n) for n in reversed(range(count))]

    def get_context_data(self, **kwargs):
        rows = [(commune, [(state, count, STATE_LABELS[state]) for state, count in cells]) for commune, cells in self.table.rows]
        return super().get_context_data(
            table=self.table, rows=rows, months=self.months, until=self.months[-1], month_count=len(self.months),
            months_without_data=self.table.months_without_data, **kwargs)

    def csv_response(self) -> HttpResponse:
        response, writer = spreadsheets.csv_response(filename=f"bai-quang-ba-{self.months[-1]:%Y-%m}.csv")
        writer.writerow([_t("Mã xã"), _t("Xã/phường"), _t("Tỉnh/thành phố"), *[f"{m:%m/%Y}" for m in self.months]])
        for commune, cells in self.table.rows:
            unit = commune.admin_unit
            labels = [f"{STATE_LABELS[state]} ({count})" if count else str(STATE_LABELS[state]) for state, count in cells]
            writer.writerow([unit.code, unit.name, unit.parent.name, *labels])
        return response


class CoverageView(DashboardMixin, TemplateView):
    template_name = "cms/admin/news_coverage.html"
    page_title = _("Độ phủ sản phẩm theo xã")

    def get_context_data(self, **kwargs):
        rows = commune_coverage(communes=list(self.communes))
        connected = any(row.live_on_platforms is not None for row in rows)
        return super().get_context_data(rows=rows, connected=connected, **kwargs)
