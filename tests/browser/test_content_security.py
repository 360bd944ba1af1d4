"""Under the Content-Security-Policy, the site, the admin, Stripe.js and the map run with no
violation: every `securitypolicyviolation` event and CSP console error is collected."""
from __future__ import annotations

import pytest
from django.urls import reverse

from marketplace.catalog import services as catalog
from marketplace.orders import services as orders
from marketplace.settings.security_headers import content_security_policy
from tests import factories
from tests.fakes import stripe_server

pytestmark = pytest.mark.browser

PASSWORD = "mat-khau-an-toan-123"  # tests.factories.UserFactory's
COLLECT = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


class Watch:
    """Violations seen by the pages of one browser context (events and console errors)."""

    def __init__(self, context):
        self.found: list[str] = []
        context.add_init_script(COLLECT)
        self.page = context.new_page()
        self.page.on("console", self._console)

    def _console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.found.append(f"console: {message.text}")

    def visit(self, url: str, *, settle_ms: int = 400):
        response = self.page.goto(url)
        assert response.status == 200, url
        assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}, url
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(settle_ms)
        self.collect(url)
        return response

    def collect(self, where: str) -> None:
        self.found += [f"{where}: {v}" for v in self.page.evaluate("window.__cspViolations || []")]
        self.page.evaluate("window.__cspViolations = []")


@pytest.fixture
def listing(live_site):
    commune = factories.commune("02923")
    producer_page = factories.producer_page(commune=commune, name="HTX Ong mật Gia Phú", latitude=22.35, longitude=104.1)
    return factories.listing(producer_page=producer_page, name="Mật ong bạc hà Gia Phú",
                             skus=[catalog.SkuData("GP-MO-500", "hũ 500ml", 120000, 650)], stars=None)


def test_storefront_checkout_and_map_have_no_violation(live_site, new_context, listing):
    watch = Watch(new_context())
    commune_page = listing.get_parent().get_parent().specific
    watch.visit(commune_page.url, settle_ms=800)
    assert watch.page.locator("#map").is_visible()  # Leaflet ran and drew the map (its tiles are blocked here)
    for url in ("/", listing.get_parent().url, listing.url, "/tim-kiem/?q=mat+ong", "/livestream/"):
        watch.visit(url)

    watch.visit(listing.url)
    watch.page.locator("form.cart-add button[type=submit]").first.click()
    watch.page.wait_for_load_state("load")
    watch.collect("cart")
    watch.visit("/thanh-toan/")
    assert watch.page.locator("form").count()
    assert watch.found == [], watch.found


@pytest.fixture
def localstripe(settings):
    with stripe_server.running() as url:
        settings.STRIPE_SECRET_KEY = "sk_test_localstripe"
        settings.STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
        settings.STRIPE_WEBHOOK_SECRET = "whsec_test"
        settings.STRIPE_API_BASE = url
        settings.CONTENT_SECURITY_POLICY = content_security_policy(map_tile_url=settings.MAP_TILE_URL, stripe_api_base=url)
        yield url


def test_the_stripe_card_page_runs_stripe_js_with_no_violation(live_site, new_context, listing, localstripe):
    sku = listing.product.skus.get()
    checkout = orders.checkout_place(
        lines=[(sku.pk, 1)], payment_method="card",
        buyer=orders.BuyerData(name="Nguyễn Thị Lan", phone="0912 345 678", email="lan@example.vn", consent=True),
        delivery=orders.DeliveryData(commune_code="02923", address_line="Thôn 3"))
    watch = Watch(new_context())
    watch.visit(reverse("payments:pay", args=[checkout.access_token]), settle_ms=1500)
    loaded = watch.page.evaluate("typeof Stripe")
    assert loaded == "function", "Stripe.js did not load"
    assert watch.page.locator("#card-element *").count(), "the card field was not mounted"
    assert watch.found == [], watch.found


def test_admin_login_dashboard_and_page_editor_have_no_violation(live_site, new_context, listing):
    factories.UserFactory(username="vanhanh", is_superuser=True, is_staff=True)
    watch = Watch(new_context())
    watch.visit("/admin/login/")
    watch.page.fill("input[name=username]", "vanhanh")
    watch.page.fill("input[name=password]", PASSWORD)
    watch.page.locator("form button[type=submit]").click()
    watch.page.wait_for_url("**/admin/")
    watch.page.wait_for_timeout(400)
    watch.collect("dashboard")

    watch.visit(f"/admin/pages/{listing.pk}/edit/", settle_ms=800)
    # New rows come from a <template>: their chooser scripts must run under the nonce too.
    watch.page.locator("#id_sku_rows-ADD").click()
    watch.page.locator("#id_gallery-ADD").click()
    watch.page.wait_for_timeout(400)
    watch.collect("page editor, rows added")
    assert watch.page.locator("[name='sku_rows-1-price_vnd']").count() == 1
    for url in ("/admin/images/", "/admin/images/multiple/add/", "/admin/reports/site-history/", "/admin/ocop/certificates/expiring/"):
        watch.visit(url)
    assert watch.found == [], watch.found
