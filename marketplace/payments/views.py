"""The buyer's payment pages, reached by the checkout's private link. Views parse, call one
service, respond."""
from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from marketplace.orders.models import PaymentMethod

from . import selectors, services
from .gateways import ChargeStatus, gateway_for
from .gateways.vietqr import qr_svg
from .models import Payment

STRIPE_DEFAULT_API = "https://api.stripe.com"


def _payment(token: str) -> Payment:
    checkout = selectors.checkout_by_token(token=token)
    if checkout is None:
        raise Http404
    return services.payment_for_checkout(checkout=checkout)


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _stripe_js() -> str:
    base = settings.STRIPE_API_BASE.rstrip("/")
    return "https://js.stripe.com/v3/" if base == STRIPE_DEFAULT_API else f"{base}/js.stripe.com/v3/"  # localstripe serves its own


def _card_page(request, payment: Payment, *, error: str = "", client_secret: str = "", status: int = 200):
    return _private(render(request, "payments/card.html", {
        "payment": payment, "checkout": payment.checkout, "error": error, "client_secret": client_secret,
        "attempt_key": secrets.token_urlsafe(24), "publishable_key": settings.STRIPE_PUBLISHABLE_KEY, "stripe_js": _stripe_js(),
        "card_available": gateway_for(PaymentMethod.CARD).is_available(),
    }, status=status))


@never_cache
def pay(request, token: str):
    """The page for paying a checkout by its method: card form, VietQR code, or (COD) the order."""
    payment = _payment(token)
    if payment.state != Payment.State.PENDING or payment.method not in (PaymentMethod.CARD, PaymentMethod.TRANSFER):
        return redirect("payments:result", token=token)
    if payment.method == PaymentMethod.TRANSFER:
        # The account may have been unset since the checkout: say so rather than show no QR code.
        instructions = selectors.transfer_instructions(payment=payment) if gateway_for(PaymentMethod.TRANSFER).is_available() else {}
        return _private(render(request, "payments/transfer.html", {
            "payment": payment, "checkout": payment.checkout, "transfer_on": bool(instructions), **instructions}))
    attempt = selectors.attempt_latest(payment=payment)
    if attempt and attempt.state == ChargeStatus.REQUIRES_ACTION:
        return _card_page(request, payment, client_secret=attempt.client_secret)
    return _card_page(request, payment)


@require_POST
@never_cache
def card_pay(request, token: str):
    payment = _payment(token)
    try:
        attempt = services.payment_card_pay(payment=payment, payment_method=request.POST.get("payment_method", "").strip(),
                                            key=request.POST.get("key", ""))
    except services.PaymentError as error:
        return _card_page(request, payment, error=error.message, status=400)
    if attempt.state == ChargeStatus.REQUIRES_ACTION:
        return _card_page(request, payment, client_secret=attempt.client_secret)
    if attempt.state in (ChargeStatus.FAILED, ChargeStatus.ERROR):
        status = 503 if attempt.state == ChargeStatus.ERROR else 402
        return _card_page(request, payment, error=attempt.error_message, status=status)
    return redirect("payments:result", token=token)


@never_cache
def result(request, token: str):
    """Where the buyer lands after paying (and after 3-D Secure): the payment's current state."""
    payment = _payment(token)
    if payment.method == PaymentMethod.CARD and payment.state == Payment.State.PENDING:
        services.payment_card_refresh(payment=payment)
        payment.refresh_from_db()
    attempt = selectors.attempt_latest(payment=payment)
    return _private(render(request, "payments/result.html", {
        "payment": payment, "checkout": payment.checkout, "attempt": attempt}))


@never_cache
def qr_image(request, token: str):
    payment = _payment(token)
    if payment.method != PaymentMethod.TRANSFER or not gateway_for(PaymentMethod.TRANSFER).is_available():
        raise Http404
    svg = qr_svg(selectors.transfer_instructions(payment=payment)["payload"])
    return _private(HttpResponse(svg, content_type="image/svg+xml"))


@require_POST
@never_cache
def abandon(request, token: str):
    payment = _payment(token)
    try:
        services.payment_abandon(payment=payment, by=request.user)
    except services.PaymentError as error:
        messages.error(request, error.message)
    else:
        messages.info(request, _("Đã huỷ đơn hàng và trả lại hàng cho cửa hàng."))
    return redirect("orders:order", token=token)
