"""After the session: orders, units and GMV attributed to each occurrence against the caps."""
from __future__ import annotations

import dataclasses
import io
from collections import defaultdict

from django.utils.translation import gettext as _

from marketplace import spreadsheets

from .. import access
from ..models import LiveSale, LiveSession, OccurrenceHold
from ..recurrence import to_local

COLUMNS = ("occurrence", "start", "status", "sku", "product", "cap_total", "held", "sold_live", "returned",
           "orders", "units", "units_live_price", "gmv_vnd")


@dataclasses.dataclass
class SessionReport:
    session: LiveSession
    rows: list[dict]
    totals: dict


def _blank(occurrence, sku_code: str, product: str) -> dict:
    return {"occurrence": occurrence.pk, "start": to_local(occurrence.starts_at).strftime("%d/%m/%Y %H:%M"),
            "status": occurrence.get_status_display(), "sku": sku_code, "product": product, "cap_total": 0, "held": 0,
            "sold_live": 0, "returned": 0, "orders": set(), "units": 0, "units_live_price": 0, "gmv_vnd": 0}


def session_report(*, session: LiveSession, by) -> SessionReport:
    """One row per occurrence and featured SKU (plus any other SKU bought through the session's
    link). Cancelled orders are left out of orders, units and GMV.

    The session's managers (and the system, `by=None`) see every row; a producer merely featured
    in it sees only its own producers' rows, and totals over those rows alone: other producers'
    orders and revenue are theirs."""
    from marketplace.orders.models import Order

    occurrences = list(session.occurrences.order_by("starts_at", "pk"))
    featured = session.featured.select_related("sku__product")
    sales = LiveSale.objects.filter(occurrence__session=session).exclude(order__fulfilment_status=Order.Fulfilment.CANCELLED)
    if by is not None and not access.can_manage(by, session):
        own = access.own_producer_ids_in(by, session)
        featured = featured.filter(sku__product__producer_id__in=own)
        sales = sales.filter(sku__product__producer_id__in=own)
    featured = list(featured)
    holds = {(h.occurrence_id, h.featured_id): h for h in OccurrenceHold.objects.filter(occurrence__session=session)}
    rows: dict[tuple[int, int], dict] = {}
    for occurrence in occurrences:
        for item in featured:
            row = rows[(occurrence.pk, item.sku_id)] = _blank(occurrence, item.sku.code, item.sku.product.name)
            hold = holds.get((occurrence.pk, item.pk))
            row["cap_total"] = item.cap_total
            if hold:
                row.update(held=hold.held, sold_live=hold.sold, returned=hold.returned)
    by_pk = {o.pk: o for o in occurrences}
    for sale in sales.select_related("sku__product"):
        key = (sale.occurrence_id, sale.sku_id)
        row = rows.get(key) or rows.setdefault(key, _blank(by_pk[sale.occurrence_id], sale.sku.code, sale.sku.product.name))
        row["orders"].add(sale.order_id)
        row["units"] += sale.quantity
        row["units_live_price"] += sale.quantity if sale.at_live_price else 0
        row["gmv_vnd"] += sale.quantity * sale.unit_price_vnd
    totals: dict = defaultdict(int)
    all_orders: set[int] = set()
    ordered = sorted(rows.values(), key=lambda r: (by_pk[r["occurrence"]].starts_at, r["occurrence"], r["sku"]))
    for row in ordered:
        all_orders |= row["orders"]
        row["orders"] = len(row["orders"])
        for field in ("cap_total", "held", "sold_live", "returned", "units", "units_live_price", "gmv_vnd"):
            totals[field] += row[field]
    totals["orders"] = len(all_orders)
    return SessionReport(session=session, rows=ordered, totals=dict(totals))


def session_report_csv(*, report: SessionReport) -> str:
    """UTF-8 CSV (with a BOM, so spreadsheet programs read Vietnamese) with a totals line."""
    headings = [_("Buổi"), _("Bắt đầu"), _("Trạng thái"), _("Mã SKU"), _("Sản phẩm"), _("Số suất giá live"), _("Đã giữ"),
                _("Đã bán giá live"), _("Trả lại kho"), _("Đơn hàng"), _("Số lượng"), _("Số lượng giá live"), _("Doanh số (đồng)")]
    out = io.StringIO()
    writer = spreadsheets.csv_writer(out)  # BOM first; names that look like formulas stay text
    writer.writerow(headings)
    for row in report.rows:
        writer.writerow([row[c] for c in COLUMNS])
    writer.writerow([_("Tổng"), "", "", "", ""] + [report.totals.get(c, 0) for c in COLUMNS[5:]])
    return out.getvalue()
