"""Turn request/command parameters into a SearchQuery, never failing: values that cannot be
used are dropped and reported as friendly Vietnamese messages."""
from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .analysis import MAX_QUERY_CHARS
from .backends.base import PRICE_RANGES_BY_KEY, SearchQuery, Sort

MAX_PAGE = 1000
_CODE = re.compile(r"^\d{1,5}$")
_SLUG = re.compile(r"^[-\w]{1,100}$")
_PROVINCE, _COMMUNE, _CATEGORY = gettext_lazy("mã tỉnh"), gettext_lazy("mã xã"), gettext_lazy("ngành hàng")


def _text(value: object) -> str:
    return str(value or "").replace("\x00", "").strip()


def _positive_int(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 7 else None


def query_from_params(params: Mapping[str, object], *, per_page: int = 20) -> tuple[SearchQuery, list[str]]:
    messages: list[str] = []
    text = _text(params.get("q"))
    if len(text) > MAX_QUERY_CHARS:
        messages.append(_("Từ khoá quá dài: chỉ dùng %(count)s ký tự đầu.") % {"count": MAX_QUERY_CHARS})
        text = text[:MAX_QUERY_CHARS]
    filters: dict[str, object] = {}
    for name, pattern, label in (("province", _CODE, _PROVINCE), ("commune", _CODE, _COMMUNE), ("category", _SLUG, _CATEGORY)):
        value = _text(params.get(name))
        if not value:
            continue
        if pattern.match(value):
            filters[name] = value
        else:
            messages.append(_("Bỏ qua %(what)s không hợp lệ.") % {"what": label})
    stars = _text(params.get("stars"))
    if stars:
        if (number := _positive_int(stars)) is not None and 1 <= number <= 5:
            filters["min_stars"] = number
        else:
            messages.append(_("Hạng sao phải là số từ 1 đến 5; đã bỏ qua."))
    price = _text(params.get("price"))
    if price:
        if price in PRICE_RANGES_BY_KEY:
            filters["price"] = PRICE_RANGES_BY_KEY[price]
        else:
            messages.append(_("Khoảng giá không hợp lệ; đã bỏ qua."))
    sort = _text(params.get("sort")) or Sort.RELEVANCE.value
    if sort not in Sort._value2member_map_:
        messages.append(_("Cách sắp xếp không hợp lệ; sắp xếp theo mức phù hợp."))
        sort = Sort.RELEVANCE.value
    page_text = _text(params.get("page")) or "1"
    page = _positive_int(page_text)
    if not page or page > MAX_PAGE:
        messages.append(_("Số trang không hợp lệ; hiển thị trang 1."))
        page = 1
    in_stock = _text(params.get("in_stock")).lower() in {"1", "true", "on", "yes"}
    query = SearchQuery(text=text, sort=Sort(sort), page=page, per_page=per_page, in_stock=in_stock, **filters)
    return query, messages
