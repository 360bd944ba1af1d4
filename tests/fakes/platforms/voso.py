"""Fake Voso-style platform (platform-apis/voso.md), in memory.

Operations counted in `calls`: categories (category.list), create (item.add), update
(item.update), stock (item.stock.update), delist, relist, get (item.get), list_orders
(order.list), ack (order.confirm).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata

from tests.fakes.platforms.server import FakePlatform, Request, Response, json_response

APP_KEY = "demo-voso"
APP_SECRET = "demo-voso-secret"
SHOP_ID = "10001"
CATEGORIES = [
    {"cat_code": "TPCB-01", "name": "Thực phẩm chế biến"},
    {"cat_code": "DU-02", "name": "Đồ uống"},
    {"cat_code": "NS-03", "name": "Nông sản tươi"},
    {"cat_code": "TD-04", "name": "Thảo dược"},
    {"cat_code": "KHAC", "name": "Khác"},
]
METHODS = {"category.list": "categories", "item.add": "create", "item.update": "update", "item.stock.update": "stock",
           "item.delist": "delist", "item.relist": "relist", "item.get": "get", "order.list": "list_orders",
           "order.confirm": "ack"}
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B50\u2B55\uFE0F\u200D]")
_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


def ok(data=None) -> Response:
    return json_response(200, {"code": 0, "message": "success", "data": data})


def fail(code: int, message: str, data=None) -> Response:
    return json_response(200, {"code": code, "message": message, "data": data})


class VosoFake(FakePlatform):
    name = "voso"
    rate_limit_per_second = 5

    def __init__(self, *, app_key: str = APP_KEY, app_secret: str = APP_SECRET, shop_id: str = SHOP_ID,
                 categories: list[dict] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.app_key, self.app_secret, self.shop_id = app_key, app_secret, shop_id
        self.categories = categories or CATEGORIES
        self.items: dict[str, dict] = {}
        self.orders: dict[str, dict] = {}
        self._outer_index: dict[str, str] = {}

    # --- for tests -----------------------------------------------------------------------

    def item_by_outer_id(self, outer_id: str) -> dict | None:
        with self.lock:
            item_id = self._outer_index.get(outer_id)
            return self.items[item_id] if item_id else None

    def ban(self, item_id: str, reason: str) -> None:
        self.set_status(item_id, "banned", reason)

    def set_status(self, item_id: str, status: str, reason: str | None = None) -> None:
        with self.lock:
            self.items[item_id].update(status=status, ban_reason=reason)

    def add_order(self, lines: list[tuple[str, int]], *, receiver: str = "Trần Thị Bình", phone: str = "0987654321",
                  at: float | None = None) -> str:
        """A buyer orders `(outer_id, qty)` lines; prices from the items (or 10.000 đ)."""
        with self.lock:
            now = int(self.now() if at is None else at)
            order_sn = f"VS{self.new_id():08d}"
            rows = []
            for outer_id, qty in lines:
                item = self.item_by_outer_id(outer_id)
                rows.append({"item_id": item["item_id"] if item else "", "outer_id": outer_id, "qty": qty,
                             "price": item["price"] if item else 10000})
            self.orders[order_sn] = {"order_sn": order_sn, "create_time": now, "update_time": now, "status": "to_confirm",
                                     "items": rows, "receiver": {"name": receiver, "phone": phone,
                                                                 "address": "Thôn 2, xã Gia Phú, Lào Cai"}}
            return order_sn

    def cancel_order(self, order_sn: str) -> None:
        with self.lock:
            self.orders[order_sn].update(status="cancelled", update_time=int(self.now()))

    # --- protocol ------------------------------------------------------------------------

    def route(self, request: Request):
        if request.method != "POST" or not request.path.startswith("/openapi/"):
            return None
        method = request.path[len("/openapi/"):]
        op = METHODS.get(method)
        if op is None:
            return None
        return op, lambda req, shop, method=method: self._dispatch(method, req)

    def not_found_route(self) -> Response:
        return json_response(404, {"code": 2004, "message": "method not found", "data": None})

    def authenticate(self, request: Request, op: str):
        form = request.form()
        fields = {k: form.get(k, "") for k in ("app_key", "shop_id", "timestamp", "data")}
        expected = hmac.new(self.app_secret.encode(), "&".join(f"{k}={fields[k]}" for k in sorted(fields)).encode(),
                            hashlib.sha256).hexdigest()
        if (fields["app_key"] != self.app_key or fields["shop_id"] != self.shop_id
                or not hmac.compare_digest(expected, form.get("sign", ""))):
            return fail(1001, "chữ ký không hợp lệ")
        try:
            stamp = int(fields["timestamp"])
        except ValueError:
            stamp = 0
        if abs(self.now() - stamp) > 300:
            return fail(1002, "timestamp out of range")
        return fields["shop_id"]

    def fault_response(self, kind: str) -> Response:
        if kind == "429":
            return fail(4290, "too many requests")
        if kind == "busy":
            return fail(5000, "system busy")
        return Response(503, b"Service Temporarily Unavailable", {"Content-Type": "text/plain"})

    def _dispatch(self, method: str, request: Request) -> Response:
        try:
            params = json.loads(request.form().get("data", ""))
        except ValueError:
            return fail(2001, "data: không phải JSON")
        if not isinstance(params, dict):
            return fail(2001, "data: phải là một đối tượng JSON")
        return getattr(self, "_" + method.replace(".", "_"))(params)

    def _category_list(self, params: dict) -> Response:
        return ok(self.categories)

    def _item_add(self, params: dict) -> Response:
        outer_id = params.get("outer_id")
        if outer_id in self._outer_index:
            return fail(2001, "outer_id: đã tồn tại", {"item_id": self._outer_index[outer_id]})
        error = self._invalid(params)
        if error:
            return error
        item_id = str(9_000_000 + self.new_id())
        now = self.now()
        self.items[item_id] = {**self._content(params), "item_id": item_id, "status": "reviewing", "ban_reason": None,
                               "_submitted": now}
        self._outer_index[outer_id] = item_id
        return ok({"item_id": item_id})

    def _item_update(self, params: dict) -> Response:
        item = self._listed(params)
        if isinstance(item, Response):
            return item
        error = self._invalid(params)
        if error:
            return error
        item.update(self._content(params))
        if item["status"] == "banned":
            item.update(status="reviewing", ban_reason=None, _submitted=self.now(), _reads=0)
        return ok({"item_id": item["item_id"]})

    def _item_stock_update(self, params: dict) -> Response:
        item = self._listed(params)
        if isinstance(item, Response):
            return item
        quantity = params.get("quantity")
        if not _is_int(quantity) or quantity < 0:
            return fail(2001, "quantity: phải là số nguyên không âm")
        item["quantity"] = quantity
        return ok({"item_id": item["item_id"]})

    def _item_delist(self, params: dict) -> Response:
        item = self._listed(params)
        if isinstance(item, Response):
            return item
        item["status"] = "delisted"
        return ok({"item_id": item["item_id"]})

    def _item_relist(self, params: dict) -> Response:
        item = self.items.get(str(params.get("item_id")))
        if item is None:
            return fail(2004, "item không tồn tại")
        if item["status"] == "delisted":
            item.update(status="reviewing", _submitted=self.now(), _reads=0)
        return ok({"item_id": item["item_id"]})

    def _item_get(self, params: dict) -> Response:
        item = self.items.get(str(params.get("item_id")))
        if item is None:
            return fail(2004, "item không tồn tại")
        if item["status"] == "reviewing" and self.review_due(item):
            item["status"] = "on_sale"
        return ok({k: item[k] for k in ("item_id", "outer_id", "status", "ban_reason")})

    def _order_list(self, params: dict) -> Response:
        values = {k: params.get(k) for k in ("page", "page_size", "start_time", "end_time")}
        for name, value in values.items():
            if not _is_int(value):
                return fail(2001, f"{name}: bắt buộc, số nguyên")
        if values["page"] < 1 or not 1 <= values["page_size"] <= 50:
            return fail(2001, "page_size: từ 1 đến 50")
        rows = [o for o in self.orders.values() if o["status"] == params.get("status")
                and values["start_time"] <= o["update_time"] <= values["end_time"]]
        rows.sort(key=lambda o: (o["update_time"], o["order_sn"]), reverse=True)  # newest first: arrivals shift pages
        first = (values["page"] - 1) * values["page_size"]
        return ok({"total": len(rows), "orders": [json.loads(json.dumps(o)) for o in rows[first:first + values["page_size"]]]})

    def _order_confirm(self, params: dict) -> Response:
        order = self.orders.get(str(params.get("order_sn")))
        if order is None:
            return fail(2004, "đơn hàng không tồn tại")
        if order["status"] == "to_confirm":
            order.update(status="confirmed", update_time=int(self.now()))
        return ok({"order_sn": order["order_sn"]})

    # --- internals -------------------------------------------------------------------------

    def _listed(self, params: dict):
        item = self.items.get(str(params.get("item_id")))
        if item is None or item["status"] == "delisted":
            return fail(2004, "item không tồn tại hoặc đã ngừng bán")
        return item

    @staticmethod
    def _content(params: dict) -> dict:
        keys = ("outer_id", "title", "cat_code", "price", "quantity", "weight_gram", "images", "description", "ocop_star")
        return {k: params.get(k) for k in keys}

    def _invalid(self, p: dict) -> Response | None:
        title, description, images = p.get("title"), p.get("description"), p.get("images")
        checks = [
            ("outer_id", isinstance(p.get("outer_id"), str) and 0 < len(p["outer_id"]) <= 64, "bắt buộc, tối đa 64 ký tự"),
            ("title", isinstance(title, str) and title.strip(), "bắt buộc"),
            ("title", isinstance(title, str) and not _EMOJI.search(title), "tiêu đề có ký tự đặc biệt"),
            ("title", isinstance(title, str) and len(unicodedata.normalize("NFC", title)) <= 120, "tối đa 120 ký tự"),
            ("cat_code", p.get("cat_code") in {c["cat_code"] for c in self.categories}, "danh mục không tồn tại"),
            ("price", _is_int(p.get("price")) and p["price"] > 0, "phải là số nguyên dương"),
            ("price", _is_int(p.get("price")) and p["price"] % 100 == 0, "giá phải là bội số của 100"),
            ("quantity", _is_int(p.get("quantity")) and p["quantity"] >= 0, "phải là số nguyên không âm"),
            ("weight_gram", _is_int(p.get("weight_gram")) and p["weight_gram"] > 0, "bắt buộc, lớn hơn 0"),
            ("images", isinstance(images, list) and len(images) <= 5
             and all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in images), "tối đa 5 URL tuyệt đối"),
            ("description", isinstance(description, str) and not _HTML.search(description), "không được chứa HTML"),
            ("description", isinstance(description, str) and len(unicodedata.normalize("NFC", description)) <= 5000,
             "tối đa 5000 ký tự"),
            ("ocop_star", p.get("ocop_star") in (0, 3, 4, 5), "0, 3, 4 hoặc 5"),
        ]
        for name, passed, reason in checks:
            if not passed:
                return fail(2001, f"{name}: {reason}")
        return None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
