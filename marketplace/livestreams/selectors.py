"""Reads for the public pages, the API and the calendar feeds."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar, Event

from marketplace.catalog.models import OcopCertificate

from .models import FeaturedProduct, LiveSession, Occurrence, OccurrenceHold, StreamLink
from .pricing import live_offers

PUBLIC_STATES = (LiveSession.State.SCHEDULED, LiveSession.State.LIVE, LiveSession.State.ENDED)


def occurrences_upcoming(*, province_code: str = "", commune_code: str = "", producer_id: int | None = None,
                         now: dt.datetime | None = None, include_cancelled: bool = False) -> QuerySet[Occurrence]:
    """Occurrences not yet over, soonest first, optionally of one province, commune or producer."""
    now = now or timezone.now()
    statuses = [Occurrence.Status.SCHEDULED, Occurrence.Status.LIVE] + ([Occurrence.Status.CANCELLED] if include_cancelled else [])
    rows = Occurrence.objects.filter(status__in=statuses, ends_at__gt=now, session__state__in=PUBLIC_STATES + (LiveSession.State.CANCELLED,))
    if province_code:
        rows = rows.filter(session__commune__parent__code=province_code, session__commune__scheme="2025")
    if commune_code:
        rows = rows.filter(session__commune__code=commune_code, session__commune__scheme="2025")
    if producer_id:
        rows = rows.filter(session__producers=producer_id)
    return rows.select_related("session__commune__parent").prefetch_related("session__producers").distinct().order_by("starts_at", "pk")


def occurrence_get(*, pk: int) -> Occurrence | None:
    return (Occurrence.objects.filter(pk=pk).exclude(session__state=LiveSession.State.DRAFT)
            .select_related("session__commune__parent")
            .prefetch_related("session__hosts", "session__producers",
                              Prefetch("session__links", queryset=StreamLink.objects.order_by("pk"))).first())


def featured_for(*, occurrence: Occurrence, now: dt.datetime | None = None) -> list[dict]:
    """Featured products with their normal and live price, and the live units left when in the window."""
    now = now or timezone.now()
    items = list(FeaturedProduct.objects.filter(session_id=occurrence.session_id).select_related("sku__product__producer", "sku__stock")
                 .prefetch_related(Prefetch("sku__product__certificates", queryset=OcopCertificate.objects.order_by("-stars"))))
    offers = live_offers(sku_ids=[i.sku_id for i in items], at=now) if occurrence.starts_at <= now < occurrence.ends_at else {}
    holds = {h.featured_id: h for h in OccurrenceHold.objects.filter(occurrence=occurrence)}
    rows = []
    for item in items:
        offer = offers.get(item.sku_id)
        hold = holds.get(item.pk)
        certificate = item.sku.product.current_certificate()
        rows.append({
            "featured": item, "sku": item.sku, "product": item.sku.product, "normal_price_vnd": item.sku.price_vnd,
            "live_price_vnd": item.live_price_vnd, "cap_total": item.cap_total, "cap_per_buyer": item.cap_per_buyer,
            "live_now": offer is not None and offer.occurrence_id == occurrence.pk,
            "remaining": offer.remaining if offer else (hold.held - hold.sold if hold else item.cap_total),
            "stars": certificate.stars if certificate else None,
        })
    return rows


def _absolute(path: str) -> str:
    return settings.SITE_BASE_URL.rstrip("/") + path


def calendar_ics(*, occurrences, name: str) -> bytes:
    """An iCalendar feed (RFC 5545) of these occurrences; cancelled ones carry STATUS:CANCELLED so
    calendar apps remove them."""
    calendar = Calendar()
    calendar.add("prodid", "-//Cho OCOP//Livestream//VI")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    host = settings.SITE_BASE_URL.split("//", 1)[-1].split("/", 1)[0] or "cho-ocop"
    with translation.override(settings.LANGUAGE_CODE):
        for occurrence in occurrences:
            session = occurrence.session
            event = Event()
            event.add("uid", f"livestream-{occurrence.pk}@{host}")
            event.add("summary", session.title)
            event.add("dtstart", occurrence.starts_at)
            event.add("dtend", occurrence.ends_at)
            event.add("dtstamp", timezone.now())
            event.add("sequence", 1 if occurrence.moved_from else 0)
            event.add("status", "CANCELLED" if occurrence.status == Occurrence.Status.CANCELLED else "CONFIRMED")
            url = _absolute(reverse("livestreams:occurrence", args=[occurrence.pk]))
            event.add("url", url)
            event.add("location", ", ".join(p for p in (session.venue, session.commune.name) if p))
            event.add("description", f"{session.description}\n{url}".strip())
            calendar.add_component(event)
    return calendar.to_ical()


def sessions_public() -> QuerySet[LiveSession]:
    return (LiveSession.objects.filter(state__in=PUBLIC_STATES + (LiveSession.State.CANCELLED,))
            .select_related("commune__parent")
            .prefetch_related("hosts", "producers", "links", Prefetch("featured", queryset=FeaturedProduct.objects.select_related("sku__product")),
                              Prefetch("occurrences", queryset=Occurrence.objects.order_by("starts_at", "pk")))
            .order_by("starts_at", "pk"))


def sessions_filter(rows: QuerySet[LiveSession], *, province: str = "", commune: str = "", upcoming: bool = False) -> QuerySet:
    if province:
        rows = rows.filter(commune__parent__code=province, commune__scheme="2025")
    if commune:
        rows = rows.filter(commune__code=commune, commune__scheme="2025")
    if upcoming:
        rows = rows.filter(Q(occurrences__ends_at__gt=timezone.now()), occurrences__status__in=["scheduled", "live"]).distinct()
    return rows
