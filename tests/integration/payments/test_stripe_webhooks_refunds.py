"""Stripe webhooks (signature, tolerance, redelivery, order of arrival, unknown types and
payments) and refunds (card through localstripe, transfer/COD recorded for payout)."""
import time

import pytest

from marketplace.orders import services as orders
from marketplace.orders.models import Order, OrderTransition
from marketplace.payments import services
from marketplace.payments.models import GatewayEvent, Payment, PaymentAttempt, Refund

from .conftest import card_payment_method, stripe_event, stripe_get, stripe_post, stripe_signature

pytestmark = pytest.mark.django_db
URL = "/webhooks/stripe/"


def deliver(client, body: str, signature: str | None = None):
    return client.post(URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature or stripe_signature(body))


@pytest.fixture
def requires_action(stripe_on, place):
    """A card attempt waiting for 3-D Secure: only a webhook (or the result page) can settle it."""
    checkout = place("card")
    payment = services.payment_for_checkout(checkout=checkout)
    attempt = services.payment_card_pay(payment=payment, payment_method=card_payment_method(stripe_on, "4000000000003220"), key="w" * 20)
    assert attempt.state == "requires_action"
    return attempt


def intent(attempt, status="succeeded", **extra):
    return {"id": attempt.gateway_reference, "object": "payment_intent", "status": status, "amount": attempt.payment.amount_vnd,
            "currency": "vnd", **extra}


def paid(attempt) -> list[str]:
    return list(Order.objects.filter(checkout=attempt.payment.checkout).values_list("payment_status", flat=True))


def test_succeeded_event_pays_once_even_when_redelivered(client, requires_action):
    body = stripe_event("evt_1", "payment_intent.succeeded", intent(requires_action))
    assert deliver(client, body).status_code == 200
    assert paid(requires_action) == ["paid", "paid"]
    again = deliver(client, body)
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert GatewayEvent.objects.count() == 1
    assert OrderTransition.objects.filter(field="payment").count() == 2  # one per order, not four


@pytest.mark.parametrize("signature", [
    pytest.param(lambda body: stripe_signature(body, secret="whsec_forged"), id="forged"),
    pytest.param(lambda body: stripe_signature(body, at=int(time.time()) - 3600), id="stale-or-replayed"),
    pytest.param(lambda body: stripe_signature(body, at=int(time.time()) + 3600), id="future"),
    pytest.param(lambda body: "t=1,v1=00", id="garbage"),
])
def test_bad_signatures_are_refused_and_change_nothing(client, requires_action, signature):
    body = stripe_event("evt_bad", "payment_intent.succeeded", intent(requires_action))
    assert deliver(client, body, signature(body)).status_code == 400
    assert client.post(URL, body, content_type="application/json").status_code == 400  # no header at all
    assert paid(requires_action) == ["unpaid", "unpaid"] and not GatewayEvent.objects.exists()


def test_tampered_body_is_refused(client, requires_action):
    body = stripe_event("evt_t", "payment_intent.payment_failed", intent(requires_action, status="requires_payment_method"))
    signature = stripe_signature(body)
    forged = body.replace("payment_intent.payment_failed", "payment_intent.succeeded")
    assert deliver(client, forged, signature).status_code == 400 and paid(requires_action) == ["unpaid", "unpaid"]


def test_out_of_order_events_have_one_effect(client, requires_action):
    now = int(time.time())
    succeeded = stripe_event("evt_late_2", "payment_intent.succeeded", intent(requires_action), created=now)
    failed = stripe_event("evt_late_1", "payment_intent.payment_failed",
                          intent(requires_action, status="requires_payment_method",
                                 last_payment_error={"code": "card_declined", "message": "declined"}), created=now - 5)
    assert deliver(client, succeeded).status_code == 200
    assert deliver(client, failed).status_code == 200  # older, arriving later: ignored
    requires_action.refresh_from_db()
    assert requires_action.state == "succeeded" and paid(requires_action) == ["paid", "paid"]


def test_failed_then_processing_older_event_is_ignored(client, requires_action):
    now = int(time.time())
    deliver(client, stripe_event("evt_f", "payment_intent.payment_failed", intent(requires_action, status="requires_payment_method"), created=now))
    deliver(client, stripe_event("evt_p", "payment_intent.processing", intent(requires_action, status="processing"), created=now - 10))
    requires_action.refresh_from_db()
    assert requires_action.state == "failed" and paid(requires_action) == ["unpaid", "unpaid"]


def test_unknown_event_type_and_unknown_payment_are_logged_not_fatal(client, stripe_on, caplog):
    response = deliver(client, stripe_event("evt_u", "customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200 and response.json()["outcome"] == "ignored: unhandled type"
    response = deliver(client, stripe_event("evt_x", "payment_intent.succeeded", {"id": "pi_nobody", "object": "payment_intent"}))
    assert response.status_code == 200 and response.json()["outcome"] == "unknown payment"
    assert "unknown payment" in caplog.text
    assert GatewayEvent.objects.count() == 2


def test_integrity_error_inside_a_handler_is_not_taken_for_a_duplicate(client, requires_action, monkeypatch):
    """Only the event insert is the duplicate check: a handler's own integrity error answers 500,
    stores nothing, and Stripe's redelivery is then applied."""
    from django.db import IntegrityError
    from django.test import Client

    from marketplace.payments.services import webhooks

    def broken(**kwargs):
        raise IntegrityError("UNIQUE constraint failed: some unrelated row")

    monkeypatch.setattr(webhooks, "attempt_apply", broken)
    body = stripe_event("evt_integrity", "payment_intent.succeeded", intent(requires_action))
    failing = Client(raise_request_exception=False)
    response = failing.post(URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=stripe_signature(body))
    assert response.status_code == 500
    assert not GatewayEvent.objects.exists() and paid(requires_action) == ["unpaid", "unpaid"]
    monkeypatch.undo()
    again = deliver(client, body)
    assert again.status_code == 200 and again.json()["outcome"] != "duplicate"
    assert paid(requires_action) == ["paid", "paid"] and GatewayEvent.objects.get().event_id == "evt_integrity"


def test_webhook_refused_while_stripe_is_off(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    body = stripe_event("evt_off", "payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"})
    assert deliver(client, body).status_code == 400


# -- refunds --------------------------------------------------------------------------------------
def card_paid(place):
    checkout = place("card")
    payment = services.payment_for_checkout(checkout=checkout)
    attempt = services.payment_card_pay(payment=payment, payment_method="pm_card_visa", key="p" * 20)
    assert attempt.state == "succeeded"
    return checkout, attempt


def test_card_refund_partial_then_full_goes_through_stripe(stripe_on, place, django_user_model):
    checkout, attempt = card_paid(place)
    order = checkout.orders.order_by("pk").first()  # 120 000 + 15 000
    clerk = django_user_model.objects.create_user(username="clerk")
    refund = services.payment_refund(order=order, amount_vnd=35000, by=clerk, reason="Thiếu một gói")
    assert refund.state == Refund.State.SUCCEEDED and refund.gateway_reference.startswith("re_")
    order.refresh_from_db()
    assert order.payment_status == "partly_refunded"
    assert order.transitions.filter(to_state="partly_refunded", by=clerk).exists()
    with pytest.raises(services.RefundError):
        services.payment_refund(order=order, amount_vnd=100001)  # 100 000 left
    services.payment_refund(order=order, amount_vnd=100000, reason="Huỷ đơn")
    order.refresh_from_db()
    assert order.payment_status == "refunded"
    refunds = stripe_get(stripe_on, f"/v1/refunds?payment_intent={attempt.gateway_reference}")["data"]
    assert sorted(r["amount"] for r in refunds) == [35000, 100000]
    with pytest.raises(services.RefundError):
        services.payment_refund(order=order, amount_vnd=1)


def test_cancelling_a_paid_order_then_refunding_it(stripe_on, place):
    checkout, _ = card_paid(place)
    order = checkout.orders.order_by("pk").last()
    order = orders.order_transition(order=order, field=OrderTransition.Field.FULFILMENT, to=Order.Fulfilment.CANCELLED, note="Hết hàng")
    services.payment_refund(order=order, amount_vnd=order.total_vnd, reason="Hết hàng")
    order.refresh_from_db()
    assert (order.fulfilment_status, order.payment_status) == ("cancelled", "refunded")


def test_refund_refused_by_stripe_changes_nothing(stripe_on, settings, place):
    checkout, _ = card_paid(place)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # unreachable
    settings.STRIPE_TIMEOUT_SECONDS = 1
    order = checkout.orders.first()
    with pytest.raises(services.RefundError) as error:
        services.payment_refund(order=order, amount_vnd=1000)
    assert "Chưa kết nối" in error.value.message
    order.refresh_from_db()
    assert order.payment_status == "paid" and not Refund.objects.exists()


def test_refund_of_an_unpaid_order_is_refused(place):
    checkout = place("transfer")
    with pytest.raises(services.RefundError):
        services.payment_refund(order=checkout.orders.first(), amount_vnd=1000)


def test_transfer_and_cod_refunds_are_recorded_for_payout(place, django_capture_on_commit_callbacks):
    checkout = place("transfer")
    payment = services.payment_for_checkout(checkout=checkout)
    services.payment_receive(payment=payment, amount_vnd=payment.amount_vnd)
    order = checkout.orders.first()
    refund = services.payment_refund(order=order, amount_vnd=order.total_vnd, reason="Khách trả hàng")
    assert refund.state == Refund.State.TO_PAY_OUT and refund.gateway_reference == ""
    services.refund_mark_paid_out(refund=refund)
    refund.refresh_from_db()
    assert refund.state == Refund.State.PAID_OUT

    cod = place("cod")
    order = cod.orders.first()
    for to in ("confirmed", "shipped", "delivered"):
        order = orders.order_transition(order=order, field="fulfilment", to=to)
    with django_capture_on_commit_callbacks(execute=True):
        orders.order_cash_record(order=order)
    refund = services.payment_refund(order=order, amount_vnd=10000)
    order.refresh_from_db()
    assert refund.state == Refund.State.TO_PAY_OUT and order.payment_status == "partly_refunded"
    assert Payment.objects.get(checkout=cod).received_vnd == order.total_vnd


def test_late_card_payment_for_expired_orders_is_refunded(stripe_on, place):
    checkout = place("card")
    payment = services.payment_for_checkout(checkout=checkout)
    attempt = services.payment_card_pay(payment=payment, payment_method=card_payment_method(stripe_on, "4000000000003220"), key="l" * 20)
    for order in checkout.orders.all():  # the reservation ran out while the buyer was at 3-D Secure
        orders.order_transition(order=order, field="fulfilment", to="cancelled", note="Hết thời gian giữ hàng")
    stripe_post(stripe_on, f"/v1/payment_intents/{attempt.gateway_reference}/_authenticate",
                {"client_secret": attempt.client_secret, "success": "true"})
    services.payment_card_refresh(payment=payment)
    assert set(checkout.orders.values_list("payment_status", flat=True)) == {"refunded"}
    assert Refund.objects.filter(state="succeeded").count() == 2
    assert PaymentAttempt.objects.get().state == "succeeded"
