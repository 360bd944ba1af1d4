"""Payments fixtures: a real localstripe on 127.0.0.1 (one per test session), Stripe settings
pointed at it, signed webhook deliveries, and checkouts placed through the real services."""
import hashlib
import hmac
import json
import time

import pytest
import requests

from marketplace.orders import services as orders
from tests import factories
from tests.fakes import stripe_server

STRIPE_KEY = "sk_test_localstripe"
WEBHOOK_SECRET = "whsec_test_secret"
BANK_SECRET = "bank-test-secret"
BUYER = orders.BuyerData(name="Nguyễn Thị Lan", phone="0912 345 678", email="lan@example.vn", consent=True)
HOME = orders.DeliveryData(commune_code="02923", address_line="Thôn 3")


@pytest.fixture(scope="session")
def localstripe_url():
    with stripe_server.running() as url:
        yield url


@pytest.fixture
def stripe_on(settings, localstripe_url):
    settings.STRIPE_SECRET_KEY = STRIPE_KEY
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_TIMEOUT_SECONDS = 5
    return localstripe_url


@pytest.fixture
def bank_on(settings):
    settings.BANK_TRANSFER_WEBHOOK_SECRET = BANK_SECRET


@pytest.fixture
def sku(make_listing):
    return make_listing(price_vnd=120000, stock=10).product.skus.get()


@pytest.fixture
def other_sku():
    page = factories.producer_page(commune=factories.commune("00004"))
    return factories.listing(producer_page=page, price_vnd=50000, stock=5).product.skus.get()


@pytest.fixture
def place(sku, other_sku):
    """A checkout with two producers' orders (120 000 + 15 000 fee, 50 000 + 40 000 fee)."""
    def make(method):
        return orders.checkout_place(lines=[(sku.pk, 1), (other_sku.pk, 1)], buyer=BUYER, delivery=HOME, payment_method=method)
    return make


def stripe_signature(body: str, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """Stripe's own scheme: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<body>")."""
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def stripe_event(event_id: str, event_type: str, obj: dict, *, created: int | None = None) -> str:
    return json.dumps({"id": event_id, "object": "event", "type": event_type, "created": created or int(time.time()),
                       "api_version": "2025-01-01", "data": {"object": obj}})


def bank_signature(body: bytes, secret: str = BANK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def stripe_get(base: str, path: str) -> dict:
    """Read the fake Stripe's state directly (what the dashboard would show)."""
    return requests.get(base + path, headers={"Authorization": f"Bearer {STRIPE_KEY}"}, timeout=5).json()


def stripe_post(base: str, path: str, data: dict) -> dict:
    """What Stripe.js does in the browser: make a PaymentMethod, finish 3-D Secure."""
    return requests.post(base + path, data=data, headers={"Authorization": f"Bearer {STRIPE_KEY}"}, timeout=5).json()


def card_payment_method(base: str, number: str) -> str:
    return stripe_post(base, "/v1/payment_methods", {"type": "card", "card[number]": number, "card[exp_month]": "12",
                                                     "card[exp_year]": "2030", "card[cvc]": "123"})["id"]
