"""Fake 37nghean-style provincial portal (platform-apis/nghean37.md), in memory.

Operations counted in `calls`: create, get, update, delist, list_orders, ack.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata

from tests.fakes.platforms.server import FakePlatform, Request, Response, html_response, json_response

VIETNAM = dt.timezone(dt.timedelta(hours=7))
#: one key per commune; the demo communes of `load_demo`
API_KEYS = {code: f"demo-nghean37-{code}" for code in ("31135", "16941", "26425", "02923", "09784", "31299")}
PAGE_SIZE = 20
_ROUTES = [
    ("POST", re.compile(r"^/api/san-pham$"), "create"),
    ("GET", re.compile(r"^/api/san-pham/(?P<ma>[^/]+)$"), "get"),
    ("PUT", re.compile(r"^/api/san-pham/(?P<ma>[^/]+)$"), "update"),
    ("DELETE", re.compile(r"^/api/san-pham/(?P<ma>[^/]+)$"), "delist"),
    ("GET", re.compile(r"^/api/don-hang$"), "list_orders"),
    ("POST", re.compile(r"^/api/don-hang/(?P<ma>[^/]+)/xac-nhan$"), "ack"),
]
_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


def money(value: int | str) -> str:
    """120000 → "120.000" (a str is passed through, so tests can plant a malformed amount)."""
    return value if isinstance(value, str) else f"{value:,}".replace(",", ".")


def vn_time(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, VIETNAM).strftime("%d/%m/%Y %H:%M")


def bad(message: str, field: str) -> Response:
    return json_response(400, {"loi": message, "truong": field})


class NgheAn37Fake(FakePlatform):
    name = "nghean37"
    rate_limit_per_second = 2
    write_ops = frozenset({"create", "update", "delist", "ack"})

    def __init__(self, *, api_keys: dict[str, str] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.api_keys = dict(api_keys or API_KEYS)  # commune code → key
        self._communes = {key: code for code, key in self.api_keys.items()}
        self.products: dict[int, dict] = {}
        self.orders: dict[str, dict] = {}
        self._index: dict[str, int] = {}  # ma_noi_bo → ma, for products not deleted
        self._next_ma = 4700

    # --- for tests -----------------------------------------------------------------------

    def key_for(self, commune_code: str) -> str:
        return self.api_keys[commune_code]

    def live_products(self) -> list[dict]:
        with self.lock:
            return [p for p in self.products.values() if not p["_deleted"]]

    def product_by_sku(self, sku: str) -> dict | None:
        with self.lock:
            ma = self._index.get(sku)
            return self.products[ma] if ma else None

    def set_status(self, ma: int | str, status: str, reason: str | None = None) -> None:
        """cho_duyet | dang_ban | tu_choi (with `reason` as ly_do)."""
        with self.lock:
            self.products[int(ma)].update(trang_thai=status, ly_do=reason, _updated=self.now())

    def reject(self, ma: int | str, reason: str) -> None:
        self.set_status(ma, "tu_choi", reason)

    def add_order(self, lines: list[tuple[str, int]], *, commune_code: str | None = None, buyer: str = "Lê Văn Cường",
                  phone: str = "0911222333", at: float | None = None) -> str:
        """A buyer orders `(ma_noi_bo, so_luong)` lines; the order belongs to the products' commune."""
        with self.lock:
            ordered = self.now() if at is None else at
            rows, communes = [], set()
            for sku, qty in lines:
                product = self.product_by_sku(sku)
                communes.add(product["ma_xa"] if product else commune_code)
                rows.append({"ma": product["ma"] if product else 0, "ma_noi_bo": sku, "so_luong": qty,
                             "don_gia": product["gia"] if product else 10000})
            ma_don = f"DH{self.new_id():07d}"
            self.orders[ma_don] = {"ma_don": ma_don, "_placed": ordered, "chi_tiet": rows, "trang_thai": "moi",
                                   "_commune": commune_code or next(iter(communes)),
                                   "nguoi_mua": {"ho_ten": buyer, "so_dien_thoai": phone,
                                                 "dia_chi": "Xóm 3, xã Diễn Châu, Nghệ An"}}
            return ma_don

    def cancel_order(self, ma_don: str) -> None:
        with self.lock:
            self.orders[ma_don]["trang_thai"] = "huy"

    # --- protocol ------------------------------------------------------------------------

    def route(self, request: Request):
        for method, pattern, op in _ROUTES:
            match = pattern.match(request.path)
            if match and request.method == method:
                return op, functools.partial(getattr(self, f"_{op}"), **match.groupdict())
        return None

    def not_found_route(self) -> Response:
        return json_response(404, {"loi": "không tìm thấy"})

    def authenticate(self, request: Request, op: str):
        commune = self._communes.get(request.headers.get("x-api-key", ""))
        if commune is None:
            return json_response(403, {"loi": "khóa không hợp lệ"})
        return commune

    def fault_response(self, kind: str) -> Response:
        if kind == "429":
            return Response(429, b"")
        return html_response(504 if kind == "5xx" else 500)

    def _create(self, request: Request, commune: str) -> Response:
        body, error = self._valid_body(request, commune)
        if error:
            return error
        if body["ma_noi_bo"] in self._index:
            return json_response(409, {"ma": self._index[body["ma_noi_bo"]]})
        self._next_ma += 1
        ma, now = self._next_ma, self.now()
        self.products[ma] = {**body, "ma": ma, "trang_thai": "cho_duyet", "ly_do": None, "_deleted": False,
                             "_submitted": now, "_updated": now}
        self._index[body["ma_noi_bo"]] = ma
        return json_response(201, {"ma": ma})

    def _get(self, request: Request, commune: str, ma: str) -> Response:
        product = self._product(ma, commune)
        if isinstance(product, Response):
            return product
        if product["trang_thai"] == "cho_duyet" and self.review_due(product):
            product.update(trang_thai="dang_ban", _updated=self.now())
        out = {k: v for k, v in product.items() if not k.startswith("_")}
        out.update(gia=money(product["gia"]), ngay_cap_nhat=vn_time(product["_updated"]))
        return json_response(200, out)

    def _update(self, request: Request, commune: str, ma: str) -> Response:
        product = self._product(ma, commune)
        if isinstance(product, Response):
            return product
        body, error = self._valid_body(request, commune)
        if error:
            return error
        now = self.now()
        product.update(body, trang_thai="cho_duyet", ly_do=None, _submitted=now, _updated=now, _reads=0)
        return json_response(200, {"ma": product["ma"]})

    def _delist(self, request: Request, commune: str, ma: str) -> Response:
        product = self._product(ma, commune)
        if isinstance(product, Response):
            return product
        product.update(_deleted=True, _updated=self.now())
        self._index.pop(product["ma_noi_bo"], None)
        return json_response(200, {"ma": product["ma"]})

    def _list_orders(self, request: Request, commune: str) -> Response:
        try:
            first = dt.datetime.strptime(request.query.get("tu_ngay", ""), "%d/%m/%Y").date()
        except ValueError:
            return bad("ngày không hợp lệ", "tu_ngay")
        try:
            last = dt.datetime.strptime(request.query.get("den_ngay", ""), "%d/%m/%Y").date()
            page = int(request.query.get("trang", "1"))
        except ValueError:
            return bad("ngày hoặc trang không hợp lệ", "den_ngay")
        rows = [o for o in self.orders.values() if o["_commune"] == commune
                and first <= dt.datetime.fromtimestamp(o["_placed"], VIETNAM).date() <= last]
        rows.sort(key=lambda o: (o["_placed"], o["ma_don"]), reverse=True)
        chunk = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE] if page >= 1 else []
        return json_response(200, {"trang": page, "tong_so_trang": math.ceil(len(rows) / PAGE_SIZE),
                                   "du_lieu": [self._public_order(o) for o in chunk]})

    def _ack(self, request: Request, commune: str, ma: str) -> Response:
        order = self.orders.get(ma)
        if order is None or order["_commune"] != commune:
            return json_response(404, {"loi": "không tìm thấy"})
        if order["trang_thai"] == "moi":
            order["trang_thai"] = "da_xac_nhan"
        return json_response(200, {"ma_don": ma})

    # --- internals -------------------------------------------------------------------------

    def _public_order(self, order: dict) -> dict:
        out = {k: v for k, v in order.items() if not k.startswith("_")}
        out["ngay_dat"] = vn_time(order["_placed"])
        out["chi_tiet"] = [{**line, "don_gia": money(line["don_gia"])} for line in order["chi_tiet"]]
        return out

    def _product(self, ma: str, commune: str):
        try:
            product = self.products.get(int(ma))
        except ValueError:
            product = None
        if product is None or product["_deleted"]:
            return json_response(404, {"loi": "không tìm thấy"})
        if product["ma_xa"] != commune:
            return json_response(403, {"loi": "ngoài phạm vi xã"})
        return product

    def _valid_body(self, request: Request, commune: str) -> tuple[dict, Response | None]:
        try:
            body = request.json()
        except ValueError:
            return {}, bad("dữ liệu không phải JSON", "")
        if not isinstance(body, dict):
            return {}, bad("dữ liệu phải là một đối tượng", "")
        name, images = body.get("ten_san_pham"), body.get("hinh_anh")
        checks = [
            ("ma_noi_bo", isinstance(body.get("ma_noi_bo"), str) and body["ma_noi_bo"].strip(), "mã nội bộ bắt buộc"),
            ("ten_san_pham", isinstance(name, str) and name.strip(), "tên sản phẩm bắt buộc"),
            ("ten_san_pham", isinstance(name, str) and len(unicodedata.normalize("NFC", name)) <= 200,
             "tên sản phẩm quá 200 ký tự"),
            ("mo_ta", isinstance(body.get("mo_ta"), str) and not _HTML.search(body["mo_ta"]), "mô tả phải là văn bản thường"),
            ("gia", _is_int(body.get("gia")) and body["gia"] > 0, "giá phải là số nguyên dương"),
            ("don_vi_tinh", isinstance(body.get("don_vi_tinh"), str) and body["don_vi_tinh"].strip(), "đơn vị tính bắt buộc"),
            ("so_luong", _is_int(body.get("so_luong")) and body["so_luong"] >= 0, "số lượng phải là số nguyên không âm"),
            ("ma_xa", isinstance(body.get("ma_xa"), str) and re.fullmatch(r"\d{5}", body["ma_xa"]), "mã xã phải gồm 5 chữ số"),
            ("hang_sao_ocop", body.get("hang_sao_ocop") in (0, 3, 4, 5), "hạng sao OCOP phải là 0, 3, 4 hoặc 5"),
            ("hinh_anh", isinstance(images, list) and all(isinstance(u, str) and u.startswith(("http://", "https://"))
                                                          for u in images), "hình ảnh phải là URL tuyệt đối"),
        ]
        for field, passed, message in checks:
            if not passed:
                return body, bad(message, field)
        if body["ma_xa"] != commune:
            return body, json_response(403, {"loi": "ngoài phạm vi xã"})
        keys = ("ma_noi_bo", "ten_san_pham", "mo_ta", "gia", "don_vi_tinh", "so_luong", "ma_xa", "hang_sao_ocop", "hinh_anh")
        return {k: body[k] for k in keys}, None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
