"""Public live-session pages: upcoming sessions, a session page with countdown, stream links,
featured products and the reminder form, unsubscribe, and ICS calendar feeds. Server-rendered;
views parse, call one service or selector, respond."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from marketplace.accounts.clientip import client_ip
from marketplace.bounds import positive_int
from marketplace.catalog.models import AdminUnit, Producer
from marketplace.views import bad_request

from . import selectors, services
from .forms import SubscribeForm
from .models import LiveSession, Occurrence, Subscription
from .pricing import LINK_SESSION_KEY


def _remember_link(request) -> bool:
    """`?live=<occurrence id>`: orders placed in this browser session count for that occurrence.
    False when the value is no usable id (the page answers 400)."""
    if "live" not in request.GET:
        return True
    occurrence_id = positive_int(request.GET["live"])
    if occurrence_id is not None:
        request.session[LINK_SESSION_KEY] = occurrence_id
    return occurrence_id is not None


def _bad_link(request):
    return bad_request(request, message=_("Liên kết phiên live không hợp lệ (tham số “live” phải là mã số của phiên)."))


def index(request):
    if not _remember_link(request):
        return _bad_link(request)
    province, commune = request.GET.get("tinh", "").strip(), request.GET.get("xa", "").strip()
    occurrences = list(selectors.occurrences_upcoming(province_code=province, commune_code=commune)[:200])
    provinces = AdminUnit.objects.filter(scheme="2025", level=AdminUnit.Level.PROVINCE, children__in=LiveSession.objects.filter(
        state__in=[LiveSession.State.SCHEDULED, LiveSession.State.LIVE]).values("commune_id")).distinct().order_by("name")
    communes = AdminUnit.objects.filter(scheme="2025", level=AdminUnit.Level.COMMUNE, parent__code=province).filter(
        pk__in=LiveSession.objects.values("commune_id")).order_by("name") if province else AdminUnit.objects.none()
    return render(request, "livestreams/index.html", {
        "occurrences": occurrences, "provinces": provinces, "communes": communes, "province": province, "commune": commune,
        "now": timezone.now(),
    })


@never_cache
@require_http_methods(["GET", "POST"])
def occurrence(request, pk: int):
    if not _remember_link(request):
        return _bad_link(request)
    found = selectors.occurrence_get(pk=pk)
    if found is None:
        raise Http404
    form = SubscribeForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.subscription_create(email=form.cleaned_data["email"], session=found.session,
                                             occurrence=found if form.cleaned_data["scope"] == "occurrence" else None,
                                             client_ip=client_ip(request))
            except services.LiveError as failure:
                error, status = failure.message, 400
            else:
                # The same words whatever the address's state: the page tells nobody who is subscribed.
                messages.success(request, _("Vui lòng mở email chúng tôi vừa gửi và bấm liên kết xác nhận. "
                                            "Sau khi xác nhận, bạn sẽ nhận email 24 giờ và 15 phút trước giờ phát."))
                return redirect("livestreams:occurrence", pk=found.pk)
        else:
            error, status = " ".join(str(m) for errors in form.errors.values() for m in errors), 400
    now = timezone.now()
    others = found.session.occurrences.filter(ends_at__gt=now, status__in=["scheduled", "live"]).exclude(pk=found.pk)[:10]
    return render(request, "livestreams/occurrence.html", {
        "occurrence": found, "session": found.session, "featured": selectors.featured_for(occurrence=found, now=now),
        "form": form, "error": error, "now": now, "others": others,
        "in_window": found.starts_at <= now < found.ends_at and found.status != Occurrence.Status.CANCELLED,
        "links": [link for link in found.session.links.all() if link.url],
    }, status=status)


def link(request, pk: int):
    """The link hosts share on their stream: remembers the occurrence, then shows its page."""
    get_object_or_404(Occurrence, pk=pk)
    request.session[LINK_SESSION_KEY] = pk
    return redirect("livestreams:occurrence", pk=pk)


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET asks, POST does it (mail scanners follow links; they must not unsubscribe anyone)."""
    subscription = get_object_or_404(Subscription.objects.select_related("session"), token=token)
    if request.method == "POST":
        services.subscription_cancel(token=token)
        subscription.refresh_from_db()
    response = render(request, "livestreams/unsubscribe.html", {"subscription": subscription})
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """The link in the confirmation e-mail: GET asks, POST confirms (mail scanners follow links)."""
    found = services.subscription_for_confirmation(token=token)
    subscription, confirmed = (found[0] if found else None), False
    if found is not None and request.method == "POST":
        subscription, confirmed = services.subscription_confirm(token=token), True
    response = render(request, "livestreams/confirm.html", {"subscription": subscription, "confirmed": confirmed},
                      status=200 if found else 400)
    response["X-Robots-Tag"] = "noindex"
    return response


def _ics(rows, name: str, filename: str) -> HttpResponse:
    response = HttpResponse(selectors.calendar_ics(occurrences=rows, name=name), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}.ics"'
    return response


def commune_calendar(request, code: str):
    commune = get_object_or_404(AdminUnit, scheme="2025", level=AdminUnit.Level.COMMUNE, code=code)
    rows = selectors.occurrences_upcoming(commune_code=code, include_cancelled=True)[:500]
    return _ics(rows, _("Livestream — %(name)s") % {"name": commune.name}, f"livestream-{code}")


def producer_calendar(request, pk: int):
    producer = get_object_or_404(Producer, pk=pk, status=Producer.Status.APPROVED)
    rows = selectors.occurrences_upcoming(producer_id=producer.pk, include_cancelled=True)[:500]
    return _ics(rows, _("Livestream — %(name)s") % {"name": producer.name}, f"livestream-{slugify(producer.name) or producer.pk}")
