"""Voso-style platform: HMAC-signed form posts to /openapi/<method> (platform-apis/voso.md).

Quirks handled here: every answer is HTTP 200 with a `code`; the signature covers the four other
fields sorted by name; a timestamp refused as out of range (1002) is retried once with the
platform's clock taken from its `Date` header; prices are rounded to a multiple of 100 đồng
(the rounded price is returned in `RemoteListing.price_vnd`); titles lose their emoji; a create
for a listed `outer_id` is resolved to the existing item; orders are read by time window and a
window whose total moves while it is paged is read again.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
import json
import math
import time
from collections.abc import Iterator
from typing import Any

import requests

from connectors.base import (
    ListingContent, OrderStatus, PlatformAdapter, PlatformOrder, PlatformOrderLine, RemoteListing, RemoteStatus,
)
from connectors.exceptions import AlreadyExists, FinalError, NotFound, RateLimited, RetryableError
from connectors.http import ConnectorSession
from connectors.platforms.common import (
    CategoryMap, field, html_to_text, raise_for_transport_status, read_json, snippet, strip_emoji, truncate_name,
    truncate_text,
)

TITLE_LIMIT = 120
DESCRIPTION_LIMIT = 5000
IMAGE_LIMIT = 5
PRICE_STEP = 100
ORDER_PAGE_SIZE = 50
WINDOW_MAX_ORDERS = 500  # a window holding more is split in two
WINDOW_ATTEMPTS = 4
STATUSES = {"reviewing": RemoteStatus.PENDING, "on_sale": RemoteStatus.LIVE, "banned": RemoteStatus.REJECTED,
            "delisted": RemoteStatus.DELISTED}


def round_price(price_vnd: int) -> int:
    """Voso takes only multiples of 100 đồng: round half up, never to 0."""
    return max(PRICE_STEP, (price_vnd + PRICE_STEP // 2) // PRICE_STEP * PRICE_STEP)


def item_body(content: ListingContent, *, cat_code: str) -> dict:
    """ListingContent → the fields of `item.add` / `item.update` (pure)."""
    if not content.weight_gram or content.weight_gram <= 0:
        raise FinalError("weight_gram: Voso cần khối lượng (gam) lớn hơn 0", field="weight_gram")
    return {
        "outer_id": content.sku,
        "title": truncate_name(strip_emoji(content.name), TITLE_LIMIT),
        "cat_code": cat_code,
        "price": round_price(content.price_vnd),
        "quantity": content.stock,
        "weight_gram": content.weight_gram,
        "images": list(content.images[:IMAGE_LIMIT]),
        "description": truncate_text(html_to_text(content.description), DESCRIPTION_LIMIT),
        "ocop_star": content.ocop_stars if content.ocop_stars in (3, 4, 5) else 0,
    }


def sign(app_secret: str, fields: dict[str, str]) -> str:
    """HMAC-SHA256 over `name=value` pairs of the fields sorted by name, joined with `&`."""
    message = "&".join(f"{name}={fields[name]}" for name in sorted(fields))
    return hmac.new(app_secret.encode(), message.encode("utf-8"), hashlib.sha256).hexdigest()


class VosoAdapter(PlatformAdapter):
    slug = "voso"
    rate_per_second = 5.0

    def __init__(self, *, base_url: str, app_key: str, app_secret: str, shop_id: str,
                 session: ConnectorSession | None = None):
        self.base_url = base_url.rstrip("/")
        self.app_key = app_key
        self._app_secret = app_secret
        self.shop_id = str(shop_id)
        self.session = session or ConnectorSession()
        self.clock_offset = 0.0  # platform clock − ours, learnt from a 1002 answer
        self.categories = CategoryMap(self._load_categories, platform="Voso", fallback_id="KHAC")

    # --- the interface ---------------------------------------------------------------------

    def create(self, content: ListingContent, *, idempotency_key: str) -> RemoteListing:
        body = item_body(content, cat_code=self.categories.lookup(content.category_name))
        try:
            data = self.call("item.add", body)
        except AlreadyExists as exc:
            if not exc.external_id:
                raise
            return self._adopt(exc.external_id, body)
        return RemoteListing(field(data, "item_id", str), RemoteStatus.PENDING, price_vnd=body["price"])

    def update(self, external_id: str, content: ListingContent) -> RemoteListing:
        body = item_body(content, cat_code=self.categories.lookup(content.category_name))
        self.call("item.update", {"item_id": external_id, **body})
        return RemoteListing(external_id, RemoteStatus.PENDING, price_vnd=body["price"])

    def set_stock(self, external_id: str, stock: int) -> None:
        self.call("item.stock.update", {"item_id": external_id, "quantity": stock})

    def delist(self, external_id: str) -> None:
        try:
            self.call("item.delist", {"item_id": external_id})
        except NotFound:
            pass  # unknown, or delisted already

    def relist(self, external_id: str, content: ListingContent, *, idempotency_key: str) -> RemoteListing:
        """item.relist brings the item back with its last content; then it gets the current one."""
        try:
            self.call("item.relist", {"item_id": external_id})
        except NotFound:
            return self.create(content, idempotency_key=idempotency_key)
        return self.update(external_id, content)

    def get_status(self, external_id: str) -> RemoteListing:
        data = self.call("item.get", {"item_id": external_id})
        status = STATUSES.get(data.get("status")) if isinstance(data, dict) else None
        if status is None:
            raise RetryableError("Voso: malformed item.get answer", body=json.dumps(data, ensure_ascii=False)[:2000])
        return RemoteListing(str(data.get("item_id") or external_id), status, reason=str(data.get("ban_reason") or ""))

    def list_orders(self, *, since: dt.datetime, until: dt.datetime) -> Iterator[PlatformOrder]:
        start, end = math.floor(since.timestamp()), math.ceil(until.timestamp())
        seen: set[tuple[str, OrderStatus]] = set()
        for status in ("to_confirm", "cancelled"):
            for raw in self._orders_in(status, start, end):
                order = parse_order(raw)
                if (order.external_id, order.status) not in seen:
                    seen.add((order.external_id, order.status))
                    yield order

    def acknowledge_order(self, external_id: str) -> None:
        self.call("order.confirm", {"order_sn": external_id})

    # --- internals -------------------------------------------------------------------------

    def _adopt(self, item_id: str, body: dict) -> RemoteListing:
        """`outer_id` is taken by `item_id`: give it the intended content (relisting it if delisted)."""
        try:
            self.call("item.update", {"item_id": item_id, **body})
        except NotFound:
            self.call("item.relist", {"item_id": item_id})
            self.call("item.update", {"item_id": item_id, **body})
        return RemoteListing(item_id, RemoteStatus.PENDING, price_vnd=body["price"])

    def _load_categories(self):
        rows = self.call("category.list", {})
        if not isinstance(rows, list):
            raise RetryableError("Voso: malformed category.list answer", body=repr(rows)[:2000])
        return [(str(r.get("name", "")), r["cat_code"]) for r in rows if isinstance(r, dict) and "cat_code" in r]

    def _orders_in(self, status: str, start: int, end: int) -> list[dict]:
        """Every order of one time window. Paging is only trusted while `total` stays the same;
        a window that moved is read again (keeping what was seen), a crowded one is split."""
        found: dict[str, dict] = {}
        for _ in range(WINDOW_ATTEMPTS):
            page, stable, first_total = 1, True, None
            while True:
                data = self.call("order.list", {"status": status, "page": page, "page_size": ORDER_PAGE_SIZE,
                                                "start_time": start, "end_time": end})
                total = field(data, "total", int)
                if first_total is None and total > WINDOW_MAX_ORDERS and end > start:
                    middle = (start + end) // 2
                    return self._orders_in(status, start, middle) + self._orders_in(status, middle + 1, end)
                first_total = total if first_total is None else first_total
                orders = field(data, "orders", list)
                found.update((str(o.get("order_sn")), o) for o in orders if isinstance(o, dict))
                if total != first_total:
                    stable = False
                if not orders or page * ORDER_PAGE_SIZE >= total:
                    break
                page += 1
            if stable:
                break
        return list(found.values())

    def call(self, method: str, params: dict) -> Any:
        """One signed call; the `data` of a code-0 answer, else the typed error."""
        response = self._post(method, params)
        payload = self._payload(response)
        if payload.get("code") == 1002 and self._learn_clock(response):
            response = self._post(method, params)
            payload = self._payload(response)
        return _data_or_raise(method, payload, response)

    def _post(self, method: str, params: dict) -> requests.Response:
        fields = {"app_key": self.app_key, "shop_id": self.shop_id,
                  "timestamp": str(int(time.time() + self.clock_offset)),
                  "data": json.dumps(params, ensure_ascii=False, separators=(",", ":"))}
        fields["sign"] = sign(self._app_secret, fields)
        return self.session.post(f"{self.base_url}/openapi/{method}", data=fields, headers={"Accept": "application/json"})

    def _payload(self, response: requests.Response) -> dict:
        raise_for_transport_status(response, "Voso")
        if response.status_code != 200:
            raise RetryableError(f"Voso: unexpected HTTP {response.status_code}", status=response.status_code,
                                 body=snippet(response))
        payload = read_json(response)
        if not isinstance(payload, dict) or not isinstance(payload.get("code"), int):
            raise RetryableError("Voso: answer without a code", status=200, body=snippet(response))
        return payload

    def _learn_clock(self, response: requests.Response) -> bool:
        try:
            platform_now = email.utils.parsedate_to_datetime(response.headers.get("Date", "")).timestamp()
        except (TypeError, ValueError):
            return False
        self.clock_offset = platform_now - time.time()
        return True


def _data_or_raise(method: str, payload: dict, response: requests.Response) -> Any:
    code, message, data = payload["code"], str(payload.get("message") or ""), payload.get("data")
    if code == 0:
        return data
    body = snippet(response)
    if code == 2001:
        name = message.split(":", 1)[0].strip() if ":" in message else ""
        if name == "outer_id" and isinstance(data, dict) and data.get("item_id"):
            raise AlreadyExists(message, external_id=str(data["item_id"]), field=name, status=200, body=body)
        raise FinalError(message or "Voso: 2001", field=name, status=200, body=body)
    if code == 2004:
        raise NotFound(message or f"Voso: {method}: not found", status=200, body=body)
    if code == 4290:
        raise RateLimited(message or "Voso: rate limited", retry_after=1.0, status=200, body=body)
    if code == 5000:
        raise RetryableError(message or "Voso: system busy", status=200, body=body)
    if code == 1002:  # our clock is off and the platform gave no usable Date: try later
        raise RetryableError(f"Voso: timestamp out of range ({message})", retry_after=60.0, status=200, body=body)
    if code == 1001:
        raise FinalError(f"Voso: sai chữ ký hoặc app_key/shop_id ({message})", status=200, body=body)
    raise FinalError(f"Voso: code {code}: {message}", status=200, body=body)


def parse_order(raw: Any) -> PlatformOrder:
    """One `order.list` order → PlatformOrder; RetryableError when malformed."""
    status = {"to_confirm": OrderStatus.NEW, "cancelled": OrderStatus.CANCELLED}.get(raw.get("status"),
                                                                                    OrderStatus.ACKNOWLEDGED)
    order_sn = raw.get("order_sn")
    if not isinstance(order_sn, (str, int)) or isinstance(order_sn, bool) or order_sn == "":
        raise RetryableError("Voso: order without order_sn", body=json.dumps(raw, ensure_ascii=False)[:2000])
    lines = tuple(PlatformOrderLine(sku=field(i, "outer_id", str), quantity=field(i, "qty", int),
                                    unit_price_vnd=field(i, "price", int), external_product_id=str(i.get("item_id") or ""))
                  for i in field(raw, "items", list))
    receiver = raw.get("receiver") if isinstance(raw.get("receiver"), dict) else {}
    created = dt.datetime.fromtimestamp(field(raw, "create_time", int), dt.timezone.utc)
    return PlatformOrder(
        external_id=str(order_sn), status=status, created_at=created, lines=lines,
        buyer_name=str(receiver.get("name") or ""), buyer_phone=str(receiver.get("phone") or ""),
        address=str(receiver.get("address") or ""), total_vnd=sum(line.quantity * line.unit_price_vnd for line in lines),
    )
