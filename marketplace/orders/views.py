"""Public cart, checkout and order pages. Views parse, call one service, respond."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from marketplace.livestreams.pricing import LINK_SESSION_KEY as LIVE_LINK_SESSION_KEY

from . import selectors, services
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
    if request.method == "POST":
        return _checkout_post(request)
    lines = services.cart_lines(session=request.session)
    if not lines:
        messages.info(request, _("Giỏ hàng đang trống."))
        return redirect("orders:cart")
    return _checkout_page(request, form=CheckoutForm(), lines=lines)


def _checkout_post(request):
    form = CheckoutForm(request.POST)
    # A post places the order at the live price the checkout itself claims; the live price is
    # put on the lines only when the page is shown.
    lines = services.cart_lines(session=request.session, live_prices=False)
    if not lines:
        # The cart is emptied with the order: a repeat of a placed form (its answer was lost)
        # finds the first checkout by the form's key.
        placed = selectors.checkout_by_key(key=form.posted_key)
        if placed is not None:
            return _placed_redirect(placed)
        messages.info(request, _("Giỏ hàng đang trống."))
        return redirect("orders:cart")
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            placed = services.checkout_place(
                lines=[(line.sku.pk, line.quantity) for line in lines],
                buyer=services.BuyerData(name=data["buyer_name"], phone=str(data["phone"]), email=data["email"], consent=data["consent"]),
                delivery=services.DeliveryData(commune_code=data["commune_code"], address_line=data["address_line"], kind=data["delivery"]),
                payment_method=data["payment_method"], user=request.user,
                live_occurrence_id=request.session.get(LIVE_LINK_SESSION_KEY),
                skus={line.sku.pk: line.sku for line in lines}, key=form.posted_key, session=request.session,
            )
        except services.CheckoutError as failure:
            error = failure.message
        else:
            return _placed_redirect(placed)
    services.cart_live_prices_apply(lines=lines)
    return _checkout_page(request, form=form, lines=lines, error=error, status=400)


def _placed_redirect(placed: Checkout):
    if placed.payment_method in (PaymentMethod.CARD, PaymentMethod.TRANSFER):
        return redirect("payments:pay", token=placed.access_token)
    return redirect("orders:order", token=placed.access_token)


def _checkout_page(request, *, form: CheckoutForm, lines, error: str = "", status: int = 200):
    # Payments build on orders: the page only asks the gateway registry what is switched off.
    from marketplace.payments.gateways import unavailable_methods

    return render(request, "orders/checkout.html", {
        "form": form, "lines": lines, "total_vnd": sum(line.total_vnd for line in lines), "error": error,
        "methods_off": [label for _method, label in unavailable_methods()],
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
