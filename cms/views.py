"""Public views outside the page tree: producer sign-up and batch traceability."""
import io

import segno
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_http_methods

from marketplace.accounts import signup
from marketplace.accounts.clientip import client_ip
from marketplace.catalog.models import Batch

from .forms import PhoneCodeForm, ProducerSignupForm


def traceability(request, code: str):
    batch = get_object_or_404(
        Batch.objects.select_related("product__producer__commune__parent", "product__category").prefetch_related("product__certificates"),
        code=code,
    )
    return render(request, "cms/traceability.html", {
        "batch": batch, "product": batch.product, "certificate": batch.product.current_certificate(),
        "page_url": getattr(batch.product, "page", None) and batch.product.page.url,
    })


@cache_control(max_age=86400, public=True)
def batch_qr_svg(request, code: str):
    batch = get_object_or_404(Batch, code=code)
    out = io.BytesIO()
    segno.make(request.build_absolute_uri(batch.get_absolute_url()), error="m").save(out, kind="svg", scale=4, xmldecl=False)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")


def gs1_digital_link(request, gtin: str, lot: str):
    batch = Batch.objects.filter(gtin__in=[gtin, gtin.lstrip("0")], lot_code=lot).first()
    if batch is None:
        raise Http404
    return redirect(batch.get_absolute_url())


SIGNUP_SESSION_KEY = "producer_signup_challenge"


@never_cache
@require_http_methods(["GET", "POST"])
def producer_signup(request):
    """Step 1: the form. A valid one sends a code to the phone; nothing is stored yet."""
    form = ProducerSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = signup.producer_signup_start(data=_signup_data(form.cleaned_data), client_ip=client_ip(request))
        except signup.SignupError as failure:
            return render(request, "cms/producer_signup.html", {"form": form, "error": failure.message}, status=failure.status)
        request.session[SIGNUP_SESSION_KEY] = challenge
        return redirect("producer-signup-verify")
    return render(request, "cms/producer_signup.html", {"form": form}, status=400 if form.errors else 200)


def _signup_data(cleaned: dict) -> signup.SignupData:
    return signup.SignupData(
        name=cleaned["name"], kind=cleaned["kind"], phone=cleaned["phone"].as_e164, tax_code=cleaned.get("tax_code", ""),
        address=cleaned.get("address", ""), commune_id=cleaned["commune_code"].pk, username=cleaned["username"],
        password=cleaned["password"])


@never_cache
@require_http_methods(["GET", "POST"])
def producer_signup_verify(request):
    """Step 2: the code from the phone. Right: the sign-up reaches the commune editor."""
    challenge = request.session.get(SIGNUP_SESSION_KEY, "")
    phone = signup.producer_signup_phone(challenge=challenge) if challenge else None
    if phone is None:
        return render(request, "cms/producer_signup_verify.html", {"expired": True}, status=400 if request.method == "POST" else 200)
    form = PhoneCodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            producer = signup.producer_signup_verify(challenge=challenge, code=form.cleaned_data["code"])
        except signup.SignupError as failure:
            error = failure.message
        else:
            request.session.pop(SIGNUP_SESSION_KEY, None)
            return render(request, "cms/producer_signup_done.html", {"producer": producer})
    status = 400 if (error or form.errors) else 200
    return render(request, "cms/producer_signup_verify.html", {"form": form, "error": error, "phone": phone}, status=status)
