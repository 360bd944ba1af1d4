"""Fake PostMart-style platform (platform-apis/postmart.md), in memory.

Operations counted in `calls`: auth, categories, create, get, update, stock, delist, list_products,
list_orders, ack.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
import time
import unicodedata

from tests.fakes.platforms.server import FakePlatform, Request, Response, json_response

CLIENT_ID = "demo-postmart"
CLIENT_SECRET = "demo-postmart-secret"
CATEGORIES = [
    {"id": 3, "name": "Thực phẩm & Đồ uống", "parent_id": None},
    {"id": 12, "name": "Trà", "parent_id": 3},
    {"id": 14, "name": "Đồ uống", "parent_id": 3},
    {"id": 15, "name": "Thực phẩm", "parent_id": 3},
    {"id": 21, "name": "Nông sản tươi", "parent_id": 3},
    {"id": 40, "name": "Sức khỏe", "parent_id": None},
    {"id": 41, "name": "Thảo dược", "parent_id": 40},
    {"id": 90, "name": "Khác", "parent_id": None},
]
PRODUCT_FIELDS = ("sku", "name", "description_html", "category_id", "price_vnd", "stock", "unit", "images", "origin",
                  "ocop_stars")
_ROUTES = [
    ("POST", re.compile(r"^/oauth/token$"), "auth"),
    ("GET", re.compile(r"^/api/v1/categories$"), "categories"),
    ("POST", re.compile(r"^/api/v1/products$"), "create"),
    ("GET", re.compile(r"^/api/v1/products$"), "list_products"),
    ("GET", re.compile(r"^/api/v1/products/(?P<id>[^/]+)$"), "get"),
    ("PUT", re.compile(r"^/api/v1/products/(?P<id>[^/]+)$"), "update"),
    ("DELETE", re.compile(r"^/api/v1/products/(?P<id>[^/]+)$"), "delist"),
    ("PATCH", re.compile(r"^/api/v1/products/(?P<id>[^/]+)/stock$"), "stock"),
    ("GET", re.compile(r"^/api/v1/orders$"), "list_orders"),
    ("POST", re.compile(r"^/api/v1/orders/(?P<id>[^/]+)/ack$"), "ack"),
]


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone(dt.timedelta(hours=7))).isoformat(timespec="seconds")


def webhook_signature(secret: str, raw_body: bytes, t: int | None = None) -> str:
    """The `X-PostMart-Signature` header PostMart would send with `raw_body`."""
    t = int(time.time()) if t is None else t
    digest = hmac.new(secret.encode(), f"{t}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


class PostMartFake(FakePlatform):
    name = "postmart"
    rate_limit_per_second = 10

    def __init__(self, *, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET, token_ttl: int = 3600,
                 categories: list[dict] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.clients = {client_id: client_secret}
        self.client_id, self.client_secret = client_id, client_secret
        self.token_ttl = token_ttl
        self.categories = categories or CATEGORIES
        self.tokens: dict[str, tuple[str, float]] = {}
        self.products: dict[str, dict] = {}
        self.orders: dict[str, dict] = {}
        self._sku_index: dict[str, str] = {}
        self._idempotency: dict[tuple[str, str], tuple[str, Response, float]] = {}

    # --- for tests -----------------------------------------------------------------------

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def live_products(self) -> list[dict]:
        with self.lock:
            return [p for p in self.products.values() if not p["_deleted"]]

    def product_by_sku(self, sku: str) -> dict | None:
        with self.lock:
            pid = self._sku_index.get(sku)
            return self.products[pid] if pid else None

    def set_status(self, product_id: str, status: str, reason: str | None = None) -> None:
        """Move a product to pending_review | active | rejected (e.g. reject it with a reason)."""
        with self.lock:
            product = self.products[product_id]
            product.update(status=status, reject_reason=reason, _updated=self.now())

    def add_order(self, lines: list[tuple[str, int]], *, buyer: str = "Nguyễn Văn An", phone: str = "0912345678",
                  commune_code: str = "02923", province_code: str = "15") -> str:
        """A buyer orders `(sku, quantity)` lines; prices from the listed products (or 10.000 đ)."""
        with self.lock:
            now = self.now()
            oid = f"po_{self.new_id():06d}"
            rows = []
            for sku, qty in lines:
                product = self.product_by_sku(sku)
                rows.append({"product_id": product["id"] if product else None, "sku": sku, "quantity": qty,
                             "unit_price_vnd": product["price_vnd"] if product else 10000})
            address = {"name": buyer, "phone": phone, "line1": "Số 1 đường Chính", "commune_code": commune_code,
                       "province_code": province_code}
            self.orders[oid] = {"id": oid, "status": "new", "_created": now, "_updated": now, "lines": rows,
                                "buyer": {"name": buyer, "phone": phone}, "shipping_address": address,
                                "total_vnd": sum(r["quantity"] * r["unit_price_vnd"] for r in rows)}
            return oid

    def cancel_order(self, order_id: str) -> None:
        with self.lock:
            self.orders[order_id].update(status="cancelled", _updated=self.now())

    # --- protocol ------------------------------------------------------------------------

    def route(self, request: Request):
        for method, pattern, op in _ROUTES:
            match = pattern.match(request.path)
            if match and request.method == method:
                return op, functools.partial(getattr(self, f"_{op}"), **match.groupdict())
        return None

    def authenticate(self, request: Request, op: str):
        if op == "auth":
            return request.form().get("client_id", "?")
        header = request.headers.get("authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        with self.lock:
            client, expires = self.tokens.get(token, ("", 0.0))
        if not client or expires < self.now():
            return json_response(401, {"error": "invalid_token"})
        return client

    def _auth(self, request: Request, client: str) -> Response:
        form = request.form()
        if form.get("grant_type") != "client_credentials" or self.clients.get(form.get("client_id")) != form.get(
                "client_secret"):
            return json_response(401, {"error": "invalid_client"})
        token = secrets.token_urlsafe(24)
        self.tokens[token] = (client, self.now() + self.token_ttl)
        return json_response(200, {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl})

    def _categories(self, request: Request, client: str) -> Response:
        return json_response(200, self.categories)

    def _create(self, request: Request, client: str) -> Response:
        key = request.headers.get("idempotency-key", "")
        digest = hashlib.sha256(request.body).hexdigest()
        remembered = self._idempotency.get((client, key)) if key else None
        if remembered and self.now() - remembered[2] < 86400:
            return remembered[1] if remembered[0] == digest else json_response(422, {"error": "idempotency_key_reused"})
        body, error = self._valid_body(request)
        if error:
            return error
        if body["sku"] in self._sku_index:
            return json_response(409, {"error": "sku_exists", "id": self._sku_index[body["sku"]]})
        pid = f"pm_{self.new_id():06d}"
        now = self.now()
        self.products[pid] = {**body, "id": pid, "status": "pending_review", "reject_reason": None, "_deleted": False,
                              "_submitted": now, "_updated": now}
        self._sku_index[body["sku"]] = pid
        response = json_response(201, {"id": pid, "status": "pending_review"})
        if key:
            self._idempotency[(client, key)] = (digest, response, now)
        return response

    def _get(self, request: Request, client: str, id: str) -> Response:  # noqa: A002
        product = self._product(id)
        if product is None:
            return json_response(404, {"error": "not_found"})
        if product["status"] == "pending_review" and self.review_due(product):
            product.update(status="active", _updated=self.now())
        return json_response(200, self._public(product))

    def _update(self, request: Request, client: str, id: str) -> Response:  # noqa: A002
        product = self._product(id)
        if product is None:
            return json_response(404, {"error": "not_found"})
        body, error = self._valid_body(request)
        if error:
            return error
        now = self.now()
        product.update(body, status="pending_review", reject_reason=None, _submitted=now, _updated=now, _reads=0)
        self._sku_index[body["sku"]] = id
        return json_response(200, {"id": id, "status": "pending_review"})

    def _stock(self, request: Request, client: str, id: str) -> Response:  # noqa: A002
        product = self._product(id)
        if product is None:
            return json_response(404, {"error": "not_found"})
        stock = _json(request).get("stock")
        if not _is_int(stock) or stock < 0:
            return json_response(422, {"errors": {"stock": ["phải là số nguyên ≥ 0"]}})
        product.update(stock=stock, _updated=self.now())
        return json_response(200, {"id": id})

    def _delist(self, request: Request, client: str, id: str) -> Response:  # noqa: A002
        product = self._product(id)
        if product is None:
            return json_response(404, {"error": "not_found"})
        product.update(_deleted=True, _updated=self.now())
        self._sku_index.pop(product["sku"], None)
        return Response(204)

    def _list_products(self, request: Request, client: str) -> Response:
        rows = [p for p in self.products.values() if not p["_deleted"]]
        return self._page(request, rows, 100, self._public)

    def _list_orders(self, request: Request, client: str) -> Response:
        status = request.query.get("status", "new")
        rows = [o for o in self.orders.values() if o["status"] == status]
        return self._page(request, rows, 50, self._public_order)

    def _ack(self, request: Request, client: str, id: str) -> Response:  # noqa: A002
        order = self.orders.get(id)
        if order is None:
            return json_response(404, {"error": "not_found"})
        if order["status"] == "new":
            order.update(status="acknowledged", _updated=self.now())
        return json_response(200, {"id": id, "status": order["status"]})

    # --- internals -------------------------------------------------------------------------

    def _page(self, request: Request, rows: list[dict], max_limit: int, public) -> Response:
        since = request.query.get("updated_since")
        if since:
            try:
                cutoff = dt.datetime.fromisoformat(since).timestamp()
            except ValueError:
                return json_response(422, {"errors": {"updated_since": ["không đúng ISO 8601"]}})
            rows = [r for r in rows if r["_updated"] >= cutoff]
        rows.sort(key=lambda r: (r["_updated"], r["id"]))
        try:
            limit = min(int(request.query.get("limit", max_limit)), max_limit)
            start = int(request.query.get("cursor") or 0)
        except ValueError:
            return json_response(422, {"errors": {"cursor": ["không hợp lệ"]}})
        chunk = rows[start:start + limit]
        nxt = str(start + limit) if start + limit < len(rows) else None
        return json_response(200, {"items": [public(r) for r in chunk], "next_cursor": nxt})

    def _product(self, pid: str) -> dict | None:
        product = self.products.get(pid)
        return None if product is None or product["_deleted"] else product

    def _public(self, product: dict) -> dict:
        out = {k: v for k, v in product.items() if not k.startswith("_")}
        out["updated_at"] = iso(product["_updated"])
        return out

    def _public_order(self, order: dict) -> dict:
        out = {k: v for k, v in order.items() if not k.startswith("_")}
        out.update(created_at=iso(order["_created"]), updated_at=iso(order["_updated"]))
        return out

    def _valid_body(self, request: Request) -> tuple[dict, Response | None]:
        body = _json(request)
        errors: dict[str, list[str]] = {}
        leaves = {c["id"] for c in self.categories} - {c["parent_id"] for c in self.categories}
        name = body.get("name")
        if not isinstance(body.get("sku"), str) or not body.get("sku"):
            errors["sku"] = ["bắt buộc"]
        if not isinstance(name, str) or not name.strip():
            errors["name"] = ["bắt buộc"]
        elif len(unicodedata.normalize("NFC", name)) > 150:
            errors["name"] = ["tối đa 150 ký tự"]
        if not isinstance(body.get("description_html"), str):
            errors["description_html"] = ["bắt buộc"]
        if body.get("category_id") not in leaves:
            errors["category_id"] = ["phải là danh mục lá"]
        if not _is_int(body.get("price_vnd")) or body["price_vnd"] <= 0:
            errors["price_vnd"] = ["phải là số nguyên > 0"]
        if not _is_int(body.get("stock")) or body["stock"] < 0:
            errors["stock"] = ["phải là số nguyên ≥ 0"]
        images = body.get("images")
        if not isinstance(images, list) or len(images) > 9 or not all(
                isinstance(u, str) and u.startswith(("http://", "https://")) for u in images):
            errors["images"] = ["tối đa 9 URL tuyệt đối"]
        origin = body.get("origin")
        if not isinstance(origin, dict) or not all(isinstance(origin.get(k), str) for k in ("province_code",
                                                                                              "commune_code")):
            errors["origin"] = ["cần province_code và commune_code (chuỗi)"]
        if body.get("ocop_stars") not in (3, 4, 5, None):
            errors["ocop_stars"] = ["3, 4, 5 hoặc null"]
        if errors:
            return body, json_response(422, {"errors": errors})
        return {k: body.get(k) for k in PRODUCT_FIELDS}, None


def _json(request: Request) -> dict:
    try:
        data = request.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


__all__ = ["PostMartFake", "CLIENT_ID", "CLIENT_SECRET", "webhook_signature"]
