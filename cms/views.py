"""Public views outside the page tree: producer sign-up and batch traceability."""
import io

import segno
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control

from marketplace.catalog.models import Batch, Producer

from .forms import ProducerSignupForm


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


def producer_signup(request):
    form = ProducerSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            producer = form.save(commit=False)
            producer.commune = form.cleaned_data["commune_code"]
            producer.status = Producer.Status.PENDING
            producer.privacy_consent_at = timezone.now()
            producer.save()
            user = get_user_model().objects.create_user(username=form.cleaned_data["username"], password=form.cleaned_data["password"])
            producer.users.add(user)
        return render(request, "cms/producer_signup_done.html", {"producer": producer})
    return render(request, "cms/producer_signup.html", {"form": form}, status=400 if form.errors else 200)
