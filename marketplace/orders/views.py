"""Public cart, checkout and order pages. Views parse, call one service, respond."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from marketplace.livestreams.pricing import LINK_SESSION_KEY as LIVE_LINK_SESSION_KEY

from . import services
from .forms import CartAddForm, CartSetForm, CheckoutForm
from .models import Checkout, PaymentMethod


def _form_error(form) -> str:
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


def _cart_page(request, *, error: str = "", status: int = 200):
    lines = services.cart_lines(session=request.session)
    return render(request, "orders/cart.html", {
        "lines": lines, "total_vnd": sum(line.total_vnd for line in lines), "error": error,
    }, status=status)


# CSRF-exempt by design: product pages are served to anonymous visitors from the shared page
# cache, so their "Thêm vào giỏ" form cannot carry a per-visitor CSRF token. Adding to a
# session cart has no sensitive effect (a forged request could at worst put an item in a cart,
# which the buyer sees and can remove; and the session cookie is SameSite=Lax, so a cross-site
# POST does not even carry it). Everything that commits anything (cart changes on the cart
# page, checkout) stays CSRF-protected.
@csrf_exempt
@require_POST
@never_cache
def cart_add(request):
    form = CartAddForm(request.POST)
    if not form.is_valid():
        return _cart_page(request, error=_form_error(form), status=400)
    try:
        services.cart_add(session=request.session, sku_id=form.cleaned_data["sku"], quantity=form.cleaned_data["quantity"])
    except services.CartError as error:
        return _cart_page(request, error=error.message, status=400)
    messages.success(request, _("Đã thêm vào giỏ hàng."))
    return redirect("orders:cart")


@never_cache
def cart(request):
    if request.method == "POST":
        form = CartSetForm(request.POST)
        if not form.is_valid():
            return _cart_page(request, error=_form_error(form), status=400)
        try:
            services.cart_set(session=request.session, sku_id=form.cleaned_data["sku"], quantity=form.cleaned_data["quantity"])
        except services.CartError as error:
            return _cart_page(request, error=error.message, status=400)
        messages.success(request, _("Đã cập nhật giỏ hàng."))
        return redirect("orders:cart")
    return _cart_page(request)


@never_cache
def checkout(request):
    posted = request.method == "POST"
    # A post places the order at the live price the checkout itself claims; the live price is
    # put on the lines only when the page is shown.
    lines = services.cart_lines(session=request.session, live_prices=not posted)
    if not lines:
        messages.info(request, _("Giỏ hàng đang trống."))
        return redirect("orders:cart")
    form = CheckoutForm(request.POST if posted else None)
    error = ""
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            placed = services.checkout_place(
                lines=[(line.sku.pk, line.quantity) for line in lines],
                buyer=services.BuyerData(name=data["buyer_name"], phone=str(data["phone"]), email=data["email"], consent=data["consent"]),
                delivery=services.DeliveryData(commune_code=data["commune_code"], address_line=data["address_line"], kind=data["delivery"]),
                payment_method=data["payment_method"], user=request.user,
                live_occurrence_id=request.session.get(LIVE_LINK_SESSION_KEY),
                skus={line.sku.pk: line.sku for line in lines},
            )
        except services.CheckoutError as failure:
            error = failure.message
        else:
            services.cart_clear(session=request.session)
            if placed.payment_method in (PaymentMethod.CARD, PaymentMethod.TRANSFER):
                return redirect("payments:pay", token=placed.access_token)
            return redirect("orders:order", token=placed.access_token)
    if posted:
        services.cart_live_prices_apply(lines=lines)
    status = 400 if posted else 200
    return render(request, "orders/checkout.html", {
        "form": form, "lines": lines, "total_vnd": sum(line.total_vnd for line in lines), "error": error,
    }, status=status)


@never_cache
def order_detail(request, token: str):
    """The buyer's private page for a checkout: reachable only by its unguessable link."""
    placed = get_object_or_404(Checkout.objects.select_related("commune__parent"), access_token=token)
    orders = placed.orders.select_related("producer").prefetch_related("lines")
    response = render(request, "orders/order.html", {"checkout": placed, "orders": orders})
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
