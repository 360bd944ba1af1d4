"""PostMart-style platform: REST + JSON, OAuth2 client credentials (platform-apis/postmart.md).

Quirks handled here: the token may be revoked at any time (one re-auth on `invalid_token`);
creates carry an Idempotency-Key and a `409 sku_exists` is resolved to the existing product
(brought to the intended content); category ids are read from the platform and mapped by name.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import requests

from connectors.base import (
    ListingContent, OrderStatus, PlatformAdapter, PlatformOrder, PlatformOrderLine, RemoteListing, RemoteStatus,
)
from connectors.exceptions import AlreadyExists, FinalError, NotFound, RetryableError
from connectors.http import ConnectorSession
from connectors.platforms.common import (
    CategoryMap, field, final, json_object_or_empty, parse_iso, quote_id, raise_for_transport_status, read_json, snippet,
    text_to_html, truncate_name,
)

NAME_LIMIT = 150
IMAGE_LIMIT = 9
ORDER_PAGE_SIZE = 50
WEBHOOK_TOLERANCE_S = 300
STATUSES = {"pending_review": RemoteStatus.PENDING, "active": RemoteStatus.LIVE, "rejected": RemoteStatus.REJECTED}
ORDER_STATUSES = {"new": OrderStatus.NEW, "acknowledged": OrderStatus.ACKNOWLEDGED, "cancelled": OrderStatus.CANCELLED}


def product_body(content: ListingContent, *, category_id: Any) -> dict:
    """ListingContent → PostMart's product body (pure)."""
    return {
        "sku": content.sku,
        "name": truncate_name(content.name, NAME_LIMIT),
        "description_html": text_to_html(content.description),
        "category_id": category_id,
        "price_vnd": content.price_vnd,
        "stock": content.stock,
        "unit": content.unit,
        "images": list(content.images[:IMAGE_LIMIT]),
        "origin": {"province_code": content.province_code, "commune_code": content.commune_code},
        "ocop_stars": content.ocop_stars if content.ocop_stars in (3, 4, 5) else None,
    }


class PostMartAdapter(PlatformAdapter):
    slug = "postmart"
    rate_per_second = 10.0

    def __init__(self, *, base_url: str, client_id: str, client_secret: str, session: ConnectorSession | None = None):
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.session = session or ConnectorSession()
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._token_lock = threading.Lock()
        self.categories = CategoryMap(self._load_categories, platform="PostMart")

    # --- the interface ---------------------------------------------------------------------

    def create(self, content: ListingContent, *, idempotency_key: str) -> RemoteListing:
        body = product_body(content, category_id=self.categories.lookup(content.category_name))
        response = self._post_product(body, idempotency_key)
        if _error_code(response) == "idempotency_key_reused":
            # The content changed since the first attempt with this key (which may have created the
            # product): a key bound to this body either creates it or meets 409 sku_exists below.
            response = self._post_product(body, f"{idempotency_key}:{_body_hash(body)}")
        if response.status_code == 409:
            existing = json_object_or_empty(response).get("id")
            if not isinstance(existing, str) or not existing:
                raise AlreadyExists("PostMart: sku_exists without an id", status=409, body=snippet(response))
            return self._adopt(existing, body, content.price_vnd)
        data = self._expect(response, 201)
        return self._listing(data, response, price_vnd=content.price_vnd)

    def update(self, external_id: str, content: ListingContent) -> RemoteListing:
        body = product_body(content, category_id=self.categories.lookup(content.category_name))
        return self._put(external_id, body, content.price_vnd)

    def set_stock(self, external_id: str, stock: int) -> None:
        self._expect(self._call("PATCH", f"/api/v1/products/{quote_id(external_id)}/stock", json={"stock": stock}), 200)

    def delist(self, external_id: str) -> None:
        try:
            self._expect(self._call("DELETE", f"/api/v1/products/{quote_id(external_id)}"), 204, 200)
        except NotFound:
            pass  # already gone

    def get_status(self, external_id: str) -> RemoteListing:
        response = self._call("GET", f"/api/v1/products/{quote_id(external_id)}")
        data = self._expect(response, 200)
        return self._listing(data, response)

    def list_orders(self, *, since: dt.datetime, until: dt.datetime) -> Iterator[PlatformOrder]:
        seen: set[tuple[str, str]] = set()
        for status in ("new", "cancelled"):
            params = {"status": status, "updated_since": since.isoformat(), "limit": ORDER_PAGE_SIZE}
            for item, response in self._pages("/api/v1/orders", params):
                order = parse_order(item, response)
                updated = parse_iso(item.get("updated_at", item.get("created_at")), response=response)
                if updated <= until and (order.external_id, order.status) not in seen:
                    seen.add((order.external_id, order.status))
                    yield order

    def acknowledge_order(self, external_id: str) -> None:
        self._expect(self._call("POST", f"/api/v1/orders/{quote_id(external_id)}/ack"), 200, 204)

    # --- products ------------------------------------------------------------------------

    def _post_product(self, body: dict, key: str) -> requests.Response:
        return self._call("POST", "/api/v1/products", json=body, headers={"Idempotency-Key": key})

    def _put(self, external_id: str, body: dict, price_vnd: int) -> RemoteListing:
        response = self._call("PUT", f"/api/v1/products/{quote_id(external_id)}", json=body)
        return self._listing(self._expect(response, 200), response, price_vnd=price_vnd, default_id=external_id)

    def _adopt(self, external_id: str, body: dict, price_vnd: int) -> RemoteListing:
        """The SKU is already listed as `external_id`: make it hold `body` (a PUT only if it differs)."""
        response = self._call("GET", f"/api/v1/products/{quote_id(external_id)}")
        current = self._expect(response, 200)
        if {key: current.get(key) for key in body} != body:
            return self._put(external_id, body, price_vnd)
        return self._listing(current, response, default_id=external_id)

    def _listing(self, data: Any, response: requests.Response, *, price_vnd: int | None = None,
                 default_id: str = "") -> RemoteListing:
        external_id = data.get("id", default_id) if isinstance(data, dict) else None
        status = STATUSES.get(data.get("status")) if isinstance(data, dict) else None
        if not isinstance(external_id, str) or not external_id or status is None:
            raise RetryableError("PostMart: malformed product answer", status=response.status_code, body=snippet(response))
        price = data.get("price_vnd")
        updated = data.get("updated_at")
        return RemoteListing(
            external_id=external_id, status=status, reason=str(data.get("reject_reason") or ""),
            price_vnd=price if isinstance(price, int) and not isinstance(price, bool) else price_vnd,
            updated_at=parse_iso(updated, response=response) if updated else None,
        )

    def _load_categories(self):
        response = self._call("GET", "/api/v1/categories")
        rows = self._expect(response, 200)
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise RetryableError("PostMart: malformed category list", status=200, body=snippet(response))
        parents = {row.get("parent_id") for row in rows}
        return [(str(row.get("name", "")), row["id"]) for row in rows if "id" in row and row["id"] not in parents]

    def _pages(self, path: str, params: dict) -> Iterator[tuple[dict, requests.Response]]:
        cursor = None
        while True:
            response = self._call("GET", path, params={**params, **({"cursor": cursor} if cursor else {})})
            data = self._expect(response, 200)
            for item in field(data, "items", list, response=response):
                yield item, response
            cursor = data.get("next_cursor")
            if not cursor:
                return

    # --- transport, auth and error rules -------------------------------------------------

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        token = self._access_token()
        response = self._send(method, path, token, **kwargs)
        if response.status_code == 401 and _error_code(response) == "invalid_token":
            response = self._send(method, path, self._access_token(stale=token), **kwargs)
            if response.status_code == 401 and _error_code(response) == "invalid_token":
                raise RetryableError("PostMart: a fresh token was refused too", status=401, body=snippet(response))
        return response

    def _send(self, method: str, path: str, token: str, *, headers: dict | None = None, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", **(headers or {})}
        return self.session.request(method, self.base_url + path, headers=headers, **kwargs)

    def _access_token(self, *, stale: str | None = None) -> str:
        with self._token_lock:
            fresh = self._token and self._token != stale and time.monotonic() < self._token_expires_at
            if not fresh:
                self._token, lifetime = self._fetch_token()
                self._token_expires_at = time.monotonic() + max(lifetime - 30, lifetime * 0.9)
            return self._token

    def _fetch_token(self) -> tuple[str, float]:
        response = self.session.post(f"{self.base_url}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._client_secret,
        }, headers={"Accept": "application/json"})
        if response.status_code in (400, 401) and _error_code(response) in ("invalid_client", "unauthorized_client"):
            raise final("PostMart: client_id/client_secret bị từ chối (invalid_client)", response)
        data = self._expect(response, 200)
        lifetime = data.get("expires_in", 3600)
        lifetime = float(lifetime) if isinstance(lifetime, (int, float)) and not isinstance(lifetime, bool) else 3600.0
        return field(data, "access_token", str, response=response), lifetime

    def _expect(self, response: requests.Response, *ok: int) -> Any:
        """The answer's JSON when its status is one of `ok`; otherwise the typed error."""
        status = response.status_code
        if status in ok:
            return None if status == 204 or not response.content else read_json(response)
        raise_for_transport_status(response, "PostMart")
        data = json_object_or_empty(response)
        if status == 404:
            raise NotFound(f"PostMart: {data.get('error') or 'not_found'}", status=404, body=snippet(response))
        if status == 422 and isinstance(data.get("errors"), dict):
            messages = [f"{name}: {'; '.join(map(str, msgs if isinstance(msgs, list) else [msgs]))}"
                        for name, msgs in data["errors"].items()]
            raise final(" | ".join(messages) or "PostMart: 422", response, field_name=next(iter(data["errors"]), ""))
        if 400 <= status < 500:
            raise final(f"PostMart: {data.get('error') or f'HTTP {status}'}", response)
        raise RetryableError(f"PostMart: unexpected HTTP {status}", status=status, body=snippet(response))


def parse_order(item: Any, response: requests.Response | None = None) -> PlatformOrder:
    """One PostMart order object → PlatformOrder; RetryableError when malformed."""
    status = ORDER_STATUSES.get(item.get("status")) if isinstance(item, dict) else None
    if status is None:
        raise RetryableError("PostMart: malformed order", body=json.dumps(item, ensure_ascii=False)[:2000])
    lines = []
    for line in field(item, "lines", list, response=response):
        lines.append(PlatformOrderLine(
            sku=field(line, "sku", str, response=response), quantity=field(line, "quantity", int, response=response),
            unit_price_vnd=field(line, "unit_price_vnd", int, response=response),
            external_product_id=str(line.get("product_id") or ""),
        ))
    buyer = item.get("buyer") if isinstance(item.get("buyer"), dict) else {}
    ship = item.get("shipping_address") if isinstance(item.get("shipping_address"), dict) else {}
    total = item.get("total_vnd")
    return PlatformOrder(
        external_id=field(item, "id", str, response=response), status=status,
        created_at=parse_iso(item.get("created_at"), response=response), lines=tuple(lines),
        buyer_name=str(buyer.get("name") or ship.get("name") or ""),
        buyer_phone=str(buyer.get("phone") or ship.get("phone") or ""),
        address=str(ship.get("line1") or ""), commune_code=str(ship.get("commune_code") or ""),
        total_vnd=total if isinstance(total, int) and not isinstance(total, bool) else None,
    )


def verify_webhook(*, secret: str, signature_header: str, raw_body: bytes, now: float | None = None) -> dict:
    """Check `X-PostMart-Signature: t=<unix>,v1=<hex>` and return the event; FinalError when it
    is unsigned, badly signed, older or newer than 300 s, or not a JSON object."""
    parts = dict(part.split("=", 1) for part in signature_header.split(",") if "=" in part)
    try:
        stamp = int(parts.get("t", ""))
    except ValueError:
        raise FinalError("PostMart webhook: missing timestamp") from None
    if abs((time.time() if now is None else now) - stamp) > WEBHOOK_TOLERANCE_S:
        raise FinalError("PostMart webhook: timestamp outside 300 s")
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + raw_body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        raise FinalError("PostMart webhook: bad signature")
    try:
        event = json.loads(raw_body)
    except ValueError:
        raise FinalError("PostMart webhook: body is not JSON") from None
    if not isinstance(event, dict):
        raise FinalError("PostMart webhook: body is not an object")
    return event


def _error_code(response: requests.Response) -> str:
    code = json_object_or_empty(response).get("error")
    return code if isinstance(code, str) else ""


def _body_hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
