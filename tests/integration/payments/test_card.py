"""Card payments with the real Stripe SDK against localstripe: success, decline, 3-D Secure,
double submit, Stripe unreachable, and the end-to-end path through the pages."""
import re

import pytest
from django.urls import reverse

from marketplace.orders.models import Checkout, Order
from marketplace.payments import services
from marketplace.payments.models import Payment, PaymentAttempt
from tests import factories
from tests.fakes.stripe_server import free_port
from tests.factories import checkout_form

from .conftest import card_payment_method, stripe_get, stripe_post

pytestmark = pytest.mark.django_db
FORM = {**factories.CHECKOUT_FORM, "payment_method": "card"}


def pay_key(response) -> str:
    return re.search(r'name="key" value="([^"]+)"', response.content.decode()).group(1)


def payment_statuses(checkout) -> list[str]:
    return list(Order.objects.filter(checkout=checkout).order_by("pk").values_list("payment_status", flat=True))


def test_card_end_to_end_through_the_pages(client, stripe_on, sku, other_sku):
    client.post("/gio-hang/them/", {"sku": sku.pk, "quantity": 2})
    client.post("/gio-hang/them/", {"sku": other_sku.pk, "quantity": 1})
    response = client.post("/thanh-toan/", checkout_form(FORM))
    checkout = Checkout.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("payments:pay", args=[checkout.access_token])
    page = client.get(response["Location"])
    assert page.status_code == 200 and "js/card_payment.js" in page.content.decode() and "pk_test_localstripe" in page.content.decode()
    response = client.post(reverse("payments:card-pay", args=[checkout.access_token]),
                           {"key": pay_key(page), "payment_method": "pm_card_visa"})
    assert response.status_code == 302
    result = client.get(response["Location"])
    assert "Thanh toán thành công" in result.content.decode()
    payment = Payment.objects.get()
    assert payment.state == Payment.State.SUCCEEDED and payment.received_vnd == checkout.total_vnd == 2 * 120000 + 15000 + 50000 + 40000
    assert payment_statuses(checkout) == ["paid", "paid"]
    intent = stripe_get(stripe_on, f"/v1/payment_intents/{payment.attempts.get().gateway_reference}")
    assert (intent["amount"], intent["currency"], intent["status"]) == (checkout.total_vnd, "vnd", "succeeded")
    assert intent["metadata"]["reference"] == checkout.reference
    order_page = client.get(reverse("orders:order", args=[checkout.access_token]))
    assert "Đã thanh toán" in order_page.content.decode()


def test_checkout_offers_card_only_when_stripe_is_configured(client, settings, sku):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_PUBLISHABLE_KEY = ""
    client.post("/gio-hang/them/", {"sku": sku.pk, "quantity": 1})
    page = client.get("/thanh-toan/").content.decode()
    assert 'value="transfer"' in page and 'value="cod"' in page and 'value="card"' not in page
    response = client.post("/thanh-toan/", checkout_form(FORM, payment_method="card"))
    assert response.status_code == 400 and not Checkout.objects.exists()


def test_decline_leaves_the_order_pending_and_a_retry_succeeds(stripe_on, place):
    checkout = place("card")
    payment = services.payment_for_checkout(checkout=checkout)
    attempt = services.payment_card_pay(payment=payment, payment_method="pm_card_chargeCustomerFail", key="k" * 20)
    assert attempt.state == PaymentAttempt.State.FAILED and attempt.error_code == "card_declined"
    assert "từ chối" in attempt.error_message
    payment.refresh_from_db()
    assert payment.state == Payment.State.PENDING and payment_statuses(checkout) == ["unpaid", "unpaid"]
    assert set(Order.objects.values_list("fulfilment_status", flat=True)) == {"placed"}  # stock still held for a retry
    retry = services.payment_card_pay(payment=payment, payment_method="pm_card_visa", key="r" * 20)
    assert retry.state == PaymentAttempt.State.SUCCEEDED and payment_statuses(checkout) == ["paid", "paid"]


def test_decline_page_shows_a_clear_message(client, stripe_on, place):
    checkout = place("card")
    page = client.get(reverse("payments:pay", args=[checkout.access_token]))
    response = client.post(reverse("payments:card-pay", args=[checkout.access_token]),
                           {"key": pay_key(page), "payment_method": "pm_card_chargeCustomerFail"})
    assert response.status_code == 402 and "Ngân hàng từ chối thẻ này" in response.content.decode()
    assert pay_key(response) != pay_key(page)  # a fresh attempt key for the retry


def test_three_d_secure_is_finished_by_the_browser_then_paid(client, stripe_on, place):
    checkout = place("card")
    method = card_payment_method(stripe_on, "4000000000003220")  # localstripe: authentication required
    page = client.get(reverse("payments:pay", args=[checkout.access_token]))
    response = client.post(reverse("payments:card-pay", args=[checkout.access_token]), {"key": pay_key(page), "payment_method": method})
    attempt = PaymentAttempt.objects.get()
    assert response.status_code == 200 and attempt.state == "requires_action"
    assert attempt.client_secret and attempt.client_secret in response.content.decode()  # handed to stripe.handleNextAction
    assert payment_statuses(checkout) == ["unpaid", "unpaid"]
    answer = stripe_post(stripe_on, f"/v1/payment_intents/{attempt.gateway_reference}/_authenticate",
                         {"client_secret": attempt.client_secret, "success": "true"})  # the buyer passes 3-D Secure
    assert answer["status"] == "succeeded"
    result = client.get(reverse("payments:result", args=[checkout.access_token]))
    assert "Thanh toán thành công" in result.content.decode() and payment_statuses(checkout) == ["paid", "paid"]


def test_double_submit_creates_one_payment_intent(client, stripe_on, place):
    checkout = place("card")
    page = client.get(reverse("payments:pay", args=[checkout.access_token]))
    url, data = reverse("payments:card-pay", args=[checkout.access_token]), {"key": pay_key(page), "payment_method": "pm_card_visa"}
    before = len(stripe_get(stripe_on, "/v1/payment_intents?limit=100")["data"])
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert PaymentAttempt.objects.count() == 1
    assert len(stripe_get(stripe_on, "/v1/payment_intents?limit=100")["data"]) == before + 1
    refused = client.post(url, {"key": "another-key-123456789", "payment_method": "pm_card_visa"})  # paid: no second charge
    assert refused.status_code == 400 and "đã được thanh toán" in refused.content.decode()


def test_stripe_unreachable_keeps_the_order_pending(client, stripe_on, settings, place):
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.STRIPE_TIMEOUT_SECONDS = 1
    checkout = place("card")
    page = client.get(reverse("payments:pay", args=[checkout.access_token]))
    response = client.post(reverse("payments:card-pay", args=[checkout.access_token]), {"key": pay_key(page), "payment_method": "pm_card_visa"})
    assert response.status_code == 503 and "Chưa kết nối được cổng thanh toán thẻ" in response.content.decode()
    assert payment_statuses(checkout) == ["unpaid", "unpaid"] and set(Order.objects.values_list("fulfilment_status", flat=True)) == {"placed"}
    settings.STRIPE_API_BASE = stripe_on  # back up: the buyer retries with the new form
    retry = client.post(reverse("payments:card-pay", args=[checkout.access_token]), {"key": pay_key(response), "payment_method": "pm_card_visa"})
    assert retry.status_code == 302 and payment_statuses(checkout) == ["paid", "paid"]


def test_abandon_cancels_the_orders_and_releases_stock(client, stripe_on, place, sku):
    checkout = place("card")
    assert sku.stock.__class__.objects.get(sku=sku).reserved == 1
    client.post(reverse("payments:abandon", args=[checkout.access_token]))
    assert set(Order.objects.values_list("fulfilment_status", flat=True)) == {"cancelled"}
    assert sku.stock.__class__.objects.get(sku=sku).reserved == 0
    assert Payment.objects.get().state == Payment.State.CANCELLED
