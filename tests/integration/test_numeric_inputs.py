"""Every number an anonymous visitor can send is range-checked: too large for the database,
negative, not a number or not finite is answered 400 with a message (a plain Vietnamese one on
pages, a JSON `detail` from the API), 404 where the number is part of a path (no such thing),
or, for search, dropped with a message as its contract says — never 500."""
import re

import pytest
from django.test import Client

from tests import factories
from tests.factories import checkout_form

pytestmark = pytest.mark.django_db

MESSAGE = re.compile(r"không hợp lệ|phải là|phải từ|tối đa|Không tìm thấy|Hạng sao phải")
VALUES = [str(2**63), "-1", "abc", "1e309"]
FORM = factories.CHECKOUT_FORM


@pytest.fixture
def sku(make_listing):
    return make_listing(price_vnd=120000, stock=10).product.skus.get()


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)


def _cart_ready(visitor, sku):
    assert visitor.post("/gio-hang/them/", {"sku": sku.pk, "quantity": "1"}).status_code == 302


# (name, how to send `value`, the answers allowed): forms and query strings are 400; path parts 404.
HTML, JSON, SEARCH = "html", "json", "search"
CASES = [
    ("cart add: sku", lambda c, s, v: c.post("/gio-hang/them/", {"sku": v, "quantity": "1"}), (400,), HTML),
    ("cart add: quantity", lambda c, s, v: c.post("/gio-hang/them/", {"sku": s.pk, "quantity": v}), (400,), HTML),
    ("cart update: sku", lambda c, s, v: c.post("/gio-hang/", {"sku": v, "quantity": "1"}), (400,), HTML),
    ("cart update: quantity", lambda c, s, v: c.post("/gio-hang/", {"sku": s.pk, "quantity": v}), (400,), HTML),
    ("checkout: commune", lambda c, s, v: (_cart_ready(c, s), c.post("/thanh-toan/", checkout_form(FORM, commune_code=v)))[1], (400,), HTML),
    ("products API: page", lambda c, s, v: c.get("/api/v1/products/", {"page": v}), (400,), JSON),
    ("products API: page_size", lambda c, s, v: c.get("/api/v1/products/", {"page_size": v}), (400,), JSON),
    ("products API: stars", lambda c, s, v: c.get("/api/v1/products/", {"stars": v}), (400,), JSON),
    # Search keeps its contract (tests/contracts/test_search_interfaces.py): an unusable number is
    # dropped and the answer says so in its message — 200, never 500.
    ("search API: page", lambda c, s, v: c.get("/api/v1/search/", {"q": "chuối", "page": v}), (200,), SEARCH),
    ("search API: stars", lambda c, s, v: c.get("/api/v1/search/", {"q": "chuối", "stars": v}), (200,), SEARCH),
    ("search page: page", lambda c, s, v: c.get("/tim-kiem/", {"q": "chuối", "page": v}), (200,), HTML),
    ("search page: stars", lambda c, s, v: c.get("/tim-kiem/", {"q": "chuối", "stars": v}), (200,), HTML),
    ("livestreams: ?live=", lambda c, s, v: c.get("/livestream/", {"live": v}), (400,), HTML),
    ("livestream page", lambda c, s, v: c.get(f"/livestream/{v}/"), (404,), None),
    ("livestream link", lambda c, s, v: c.get(f"/livestream/l/{v}/"), (404,), None),
    ("producer calendar", lambda c, s, v: c.get(f"/livestream/lich/nha-san-xuat/{v}.ics"), (404,), None),
    ("livestreams API: id", lambda c, s, v: c.get(f"/api/v1/livestreams/{v}/"), (404,), None),
    ("order page token", lambda c, s, v: c.get(f"/don-hang/{v}/"), (404,), None),
    ("payment page token", lambda c, s, v: c.get(f"/thanh-toan/{v}/"), (404,), None),
    ("traceability code", lambda c, s, v: c.get(f"/t/{v}/"), (404,), None),
]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("name, send, allowed, kind", CASES, ids=[case[0] for case in CASES])
def test_out_of_range_or_non_numeric_is_a_clear_answer(visitor, sku, name, send, allowed, kind, value):
    response = send(visitor, sku, value)
    assert response.status_code in allowed, f"{name}={value}: {response.status_code}"
    if kind == JSON:
        assert response.json()["detail"]
    elif kind == SEARCH:
        assert MESSAGE.search(response.json()["message"] or "")
    elif kind == HTML:
        assert MESSAGE.search(response.content.decode()), "no message for the visitor"


def test_numbers_in_range_still_work(visitor, sku):
    assert visitor.get("/api/v1/products/", {"page": "1", "page_size": "10", "stars": "3"}).status_code == 200
    assert visitor.get("/api/v1/products/", {"page_size": "10000"}).status_code == 200  # capped at 500, as documented
    assert visitor.get("/api/v1/search/", {"q": "chuối", "page": "1", "stars": "4"}).status_code == 200
    assert visitor.get("/tim-kiem/", {"q": "chuối", "page": "2"}).status_code == 200
    assert visitor.get("/livestream/", {"live": "12"}).status_code == 200
    assert visitor.post("/gio-hang/them/", {"sku": sku.pk, "quantity": "2"}).status_code == 302
