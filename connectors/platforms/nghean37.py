"""37nghean-style provincial portal: JSON with Vietnamese field names, one API key per commune
(platform-apis/nghean37.md).

Quirks handled here: money comes back as `"120.000"` strings and dates as `dd/mm/yyyy HH:MM` in
Vietnam time; there is no stock-only call (a stock change is a full PUT, which sends the product
back to review); a `409 {"ma"}` on create is resolved to the existing product; orders are read
by day range and page (`trang` / `tong_so_trang`); 429 carries no Retry-After.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import requests

from connectors.base import (
    ListingContent, OrderStatus, PlatformAdapter, PlatformOrder, PlatformOrderLine, RemoteListing, RemoteStatus,
)
from connectors.exceptions import AlreadyExists, NotFound, RetryableError
from connectors.http import ConnectorSession
from connectors.platforms.common import (
    field, final, html_to_text, json_object_or_empty, quote_id, raise_for_transport_status, read_json, snippet, truncate_name,
)

NAME_LIMIT = 200
VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")  # no daylight saving
DATE_FORMAT = "%d/%m/%Y %H:%M"
DAY_FORMAT = "%d/%m/%Y"
MAX_ORDER_PAGES = 500
STATUSES = {"cho_duyet": RemoteStatus.PENDING, "dang_ban": RemoteStatus.LIVE, "tu_choi": RemoteStatus.REJECTED}
ORDER_STATUSES = {"moi": OrderStatus.NEW, "da_xac_nhan": OrderStatus.ACKNOWLEDGED, "huy": OrderStatus.CANCELLED}
_MONEY = re.compile(r"^(\d{1,3}(\.\d{3})+|\d+)$")
_CURRENCY = re.compile(r"\s*(đ|₫|vnđ|vnd)\s*$", re.IGNORECASE)
BODY_FIELDS = ("ma_noi_bo", "ten_san_pham", "mo_ta", "gia", "don_vi_tinh", "so_luong", "ma_xa", "hang_sao_ocop",
               "hinh_anh")


def parse_money(value: Any) -> int:
    """`"120.000"` (dots group thousands), `"120000"`, `120000` → 120000; ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise ValueError(f"not money: {value!r}")
    text = _CURRENCY.sub("", value.strip())
    if not _MONEY.match(text):
        raise ValueError(f"not money: {value!r}")
    return int(text.replace(".", ""))


def parse_date(value: Any) -> dt.datetime:
    """`dd/mm/yyyy HH:MM` in Vietnam time → an aware datetime; ValueError otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    return dt.datetime.strptime(value.strip(), DATE_FORMAT).replace(tzinfo=VIETNAM)


def format_day(moment: dt.datetime) -> str:
    return moment.astimezone(VIETNAM).strftime(DAY_FORMAT)


def product_body(content: ListingContent) -> dict:
    """ListingContent → the portal's product body (pure)."""
    return {
        "ma_noi_bo": content.sku,
        "ten_san_pham": truncate_name(content.name, NAME_LIMIT),
        "mo_ta": html_to_text(content.description),
        "gia": content.price_vnd,
        "don_vi_tinh": content.unit,
        "so_luong": content.stock,
        "ma_xa": content.commune_code,
        "hang_sao_ocop": content.ocop_stars if content.ocop_stars in (3, 4, 5) else 0,
        "hinh_anh": list(content.images),
    }


def body_from_answer(data: dict) -> dict:
    """A GET answer back into a product body (money strings parsed); ValueError when malformed."""
    body = {name: data.get(name) for name in BODY_FIELDS}
    body["gia"] = parse_money(body["gia"])
    body["so_luong"] = parse_money(body["so_luong"])
    return body


class NgheAn37Adapter(PlatformAdapter):
    slug = "nghean37"
    rate_per_second = 2.0
    #: no stock call: set_stock reads the product and PUTs it back (a PUT goes back to review)
    supports_stock_only = False

    def __init__(self, *, base_url: str, api_key: str, commune_code: str = "", session: ConnectorSession | None = None):
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.commune_code = commune_code  # the commune the key was issued to (informational)
        self.session = session or ConnectorSession()

    # --- the interface ---------------------------------------------------------------------

    def create(self, content: ListingContent, *, idempotency_key: str) -> RemoteListing:
        body = product_body(content)
        response = self._call("POST", "/api/san-pham", json=body)
        if response.status_code == 409:
            existing = json_object_or_empty(response).get("ma")
            if not isinstance(existing, (int, str)) or isinstance(existing, bool) or existing == "":
                raise AlreadyExists("37nghean: ma_noi_bo đã có, không rõ ma", status=409, body=snippet(response))
            return self._adopt(str(existing), body)
        data = self._expect(response, 201, 200)
        return RemoteListing(_ma(data, response), RemoteStatus.PENDING, price_vnd=content.price_vnd)

    def update(self, external_id: str, content: ListingContent) -> RemoteListing:
        return self._put(external_id, product_body(content))

    def set_stock(self, external_id: str, stock: int) -> None:
        data = self._get(external_id)
        body = self._body_from(data)
        if body["so_luong"] != stock:
            self._put(external_id, {**body, "so_luong": stock})

    def delist(self, external_id: str) -> None:
        try:
            self._expect(self._call("DELETE", f"/api/san-pham/{quote_id(external_id)}"), 200, 204)
        except NotFound:
            pass  # already gone

    def get_status(self, external_id: str) -> RemoteListing:
        data = self._get(external_id)
        status = STATUSES.get(data.get("trang_thai"))
        try:
            price = parse_money(data.get("gia"))
            updated = parse_date(data["ngay_cap_nhat"]) if data.get("ngay_cap_nhat") else None
        except ValueError as exc:
            raise RetryableError(f"37nghean: malformed product answer: {exc}", body=_dump(data)) from exc
        if status is None:
            raise RetryableError("37nghean: unknown trang_thai", body=_dump(data))
        return RemoteListing(str(data.get("ma") or external_id), status, reason=str(data.get("ly_do") or ""),
                             price_vnd=price, updated_at=updated)

    def list_orders(self, *, since: dt.datetime, until: dt.datetime) -> Iterator[PlatformOrder]:
        """Orders *placed* on the days of [since, until] (the portal filters by order date only)."""
        params = {"tu_ngay": format_day(since), "den_ngay": format_day(until)}
        seen: set[str] = set()
        page, pages = 1, 1
        while page <= min(pages, MAX_ORDER_PAGES):
            response = self._call("GET", "/api/don-hang", params={**params, "trang": page})
            data = self._expect(response, 200)
            pages = field(data, "tong_so_trang", int, response=response)
            for raw in field(data, "du_lieu", list, response=response):
                order = parse_order(raw)
                if order.external_id not in seen and order.status != OrderStatus.ACKNOWLEDGED:
                    seen.add(order.external_id)
                    yield order
            page += 1

    def acknowledge_order(self, external_id: str) -> None:
        self._expect(self._call("POST", f"/api/don-hang/{quote_id(external_id)}/xac-nhan"), 200, 204)

    # --- internals -------------------------------------------------------------------------

    def _adopt(self, external_id: str, body: dict) -> RemoteListing:
        """`ma_noi_bo` is taken by `external_id`: make it hold `body` (a PUT only if it differs)."""
        data = self._get(external_id)
        if self._body_from(data) != body:
            return self._put(external_id, body)
        status = STATUSES.get(data.get("trang_thai"), RemoteStatus.PENDING)
        return RemoteListing(external_id, status, reason=str(data.get("ly_do") or ""), price_vnd=body["gia"])

    def _put(self, external_id: str, body: dict) -> RemoteListing:
        response = self._call("PUT", f"/api/san-pham/{quote_id(external_id)}", json=body)
        data = self._expect(response, 200)
        ma = data.get("ma", external_id) if isinstance(data, dict) else external_id
        return RemoteListing(str(ma), RemoteStatus.PENDING, price_vnd=body["gia"])

    def _get(self, external_id: str) -> dict:
        response = self._call("GET", f"/api/san-pham/{quote_id(external_id)}")
        data = self._expect(response, 200)
        if not isinstance(data, dict):
            raise RetryableError("37nghean: malformed product answer", status=200, body=snippet(response))
        return data

    @staticmethod
    def _body_from(data: dict) -> dict:
        try:
            return body_from_answer(data)
        except ValueError as exc:
            raise RetryableError(f"37nghean: malformed product answer: {exc}", body=_dump(data)) from exc

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"X-Api-Key": self._api_key, "Accept": "application/json"}
        return self.session.request(method, self.base_url + path, headers=headers, **kwargs)

    def _expect(self, response: requests.Response, *ok: int) -> Any:
        status = response.status_code
        if status in ok:
            return read_json(response) if response.content else None
        raise_for_transport_status(response, "37nghean")  # 429 has no Retry-After here: 1 s
        data = json_object_or_empty(response)
        message = str(data.get("loi") or f"HTTP {status}")
        if status == 404:
            raise NotFound(f"37nghean: {message}", status=404, body=snippet(response))
        if status == 400:
            name = str(data.get("truong") or "")
            raise final(f"{name}: {message}" if name else message, response, field_name=name)
        if 400 <= status < 500:  # 403: khóa không hợp lệ / ngoài phạm vi xã
            raise final(f"37nghean: {message}", response)
        raise RetryableError(f"37nghean: unexpected HTTP {status}", status=status, body=snippet(response))


def parse_order(raw: Any) -> PlatformOrder:
    """One `du_lieu` order → PlatformOrder; RetryableError when malformed."""
    try:
        status = ORDER_STATUSES[raw["trang_thai"]]
        ma_don = raw["ma_don"]
        if isinstance(ma_don, bool) or not isinstance(ma_don, (int, str)) or ma_don == "":
            raise ValueError("ma_don")
        lines = tuple(PlatformOrderLine(
            sku=str(line["ma_noi_bo"]), quantity=parse_money(line["so_luong"]), unit_price_vnd=parse_money(line["don_gia"]),
            external_product_id=str(line.get("ma") or ""),
        ) for line in raw["chi_tiet"])
        buyer = raw.get("nguoi_mua") if isinstance(raw.get("nguoi_mua"), dict) else {}
        created = parse_date(raw["ngay_dat"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RetryableError(f"37nghean: malformed order: {exc!r}", body=_dump(raw)) from exc
    return PlatformOrder(
        external_id=str(ma_don), status=status, created_at=created, lines=lines,
        buyer_name=str(buyer.get("ho_ten") or ""), buyer_phone=str(buyer.get("so_dien_thoai") or ""),
        address=str(buyer.get("dia_chi") or ""), total_vnd=sum(line.quantity * line.unit_price_vnd for line in lines),
    )


def _ma(data: Any, response: requests.Response) -> str:
    ma = data.get("ma") if isinstance(data, dict) else None
    if isinstance(ma, bool) or not isinstance(ma, (int, str)) or ma == "":
        raise RetryableError("37nghean: answer without ma", status=response.status_code, body=snippet(response))
    return str(ma)


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)[:2000]
