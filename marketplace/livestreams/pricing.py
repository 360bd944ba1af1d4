"""The live price, as checkout sees it. Checkout (marketplace.orders) calls these; this module
never calls checkout.

- `live_window(sku_ids=, at=)`: the (occurrence, featured product) pairs of these SKUs whose
  window holds `at` — one query, and nothing more when no window is open. Checkout looks it up
  once and hands it to the two calls below (`window=`), which otherwise look it up themselves.
- `live_offers(sku_ids=, at=)`: the live offer of each SKU featured in an occurrence whose window
  holds `at` and which still has live units; no offer → the normal price.
- `live_claim(quantities=, phone=, at=)`: inside checkout's transaction, takes the units from the
  occurrence's hold within the total cap and the buyer's cap (conditional UPDATEs: concurrent
  checkouts never exceed either). Claimed units are already reserved on stock by the hold, so
  checkout reserves only the other lines. Raises LiveLimitError with a message for the buyer.
- `live_sales_record(checkout=, claims=, link_occurrence_id=, at=)`: the attribution rows.
- `skus_live_price_apply(skus=)`: the cart shows the live price (in memory, never saved).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import FeaturedProduct, LiveBuyer, LiveSale, LiveSession, Occurrence, OccurrenceHold

LINK_SESSION_KEY = "live_occurrence"
_LIVE_STATES = (LiveSession.State.SCHEDULED, LiveSession.State.LIVE)
_ACTIVE = (Occurrence.Status.SCHEDULED, Occurrence.Status.LIVE)


class LiveLimitError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclasses.dataclass(frozen=True)
class LiveOffer:
    occurrence_id: int
    featured_id: int
    sku_id: int
    live_price_vnd: int
    normal_price_vnd: int
    cap_per_buyer: int
    remaining: int
    ends_at: dt.datetime


Window = list[tuple[Occurrence, FeaturedProduct]]


def live_window(*, sku_ids: Iterable[int], at: dt.datetime | None = None) -> Window:
    """(occurrence, featured product) pairs whose window holds `at`, for these SKUs."""
    at = at or timezone.now()
    sku_ids = list(sku_ids)
    # Sorted here rather than by the database (the same order, a cheaper query): with no window
    # open, this query is all a checkout spends on livestreams.
    occurrences = sorted(Occurrence.objects.filter(
        status__in=_ACTIVE, session__state__in=_LIVE_STATES, starts_at__lte=at, ends_at__gt=at,
        session__featured__sku_id__in=sku_ids).order_by().distinct(), key=lambda o: (o.starts_at, o.pk))
    if not occurrences:
        return []
    by_session: dict[int, list[Occurrence]] = {}
    for occurrence in occurrences:
        by_session.setdefault(occurrence.session_id, []).append(occurrence)
    featured = FeaturedProduct.objects.filter(session_id__in=list(by_session), sku_id__in=sku_ids).select_related("sku")
    return [(occurrence, item) for item in featured for occurrence in by_session[item.session_id]]


def live_offers(*, sku_ids: Iterable[int], at: dt.datetime | None = None, window: Window | None = None) -> dict[int, LiveOffer]:
    """`window`: `live_window` for these SKUs at `at`, when the caller already has it."""
    at = at or timezone.now()
    pairs = live_window(sku_ids=sku_ids, at=at) if window is None else window
    if not pairs:
        return {}
    holds = {(h.occurrence_id, h.featured_id): h for h in OccurrenceHold.objects.filter(
        occurrence_id__in={o.pk for o, _f in pairs}, featured_id__in={f.pk for _o, f in pairs})}
    offers: dict[int, LiveOffer] = {}
    for occurrence, item in pairs:
        hold = holds.get((occurrence.pk, item.pk))
        if hold is None:
            remaining = item.cap_total  # not held yet (beat is due): the claim places the hold
        else:
            remaining = hold.held - hold.sold if hold.state == OccurrenceHold.State.HELD else 0
        if remaining <= 0:
            continue
        # The normal price may have been lowered below the live one since: the buyer pays the lower.
        price = min(item.live_price_vnd, item.sku.price_vnd)
        offer = LiveOffer(occurrence.pk, item.pk, item.sku_id, price, item.sku.price_vnd, item.cap_per_buyer,
                          remaining, occurrence.ends_at)
        current = offers.get(item.sku_id)
        if current is None or offer.live_price_vnd < current.live_price_vnd:
            offers[item.sku_id] = offer
    return offers


def live_offer(*, sku_id: int, at: dt.datetime | None = None) -> LiveOffer | None:
    return live_offers(sku_ids=[sku_id], at=at).get(sku_id)


def skus_live_price_apply(*, skus: Iterable, at: dt.datetime | None = None) -> None:
    """For display (cart, checkout page): put the live price on these in-memory SKUs, keeping the
    normal one as `normal_price_vnd`. Never save such an instance."""
    skus = list(skus)
    offers = live_offers(sku_ids=[s.pk for s in skus], at=at)
    for sku in skus:
        offer = offers.get(sku.pk)
        if offer is not None:
            sku.normal_price_vnd, sku.price_vnd, sku.live_offer = sku.price_vnd, offer.live_price_vnd, offer


def sku_live_price_undo(sku) -> None:
    """The catalogue price back on an in-memory SKU that `skus_live_price_apply` changed."""
    if "normal_price_vnd" in sku.__dict__:
        sku.price_vnd = sku.__dict__.pop("normal_price_vnd")
        sku.__dict__.pop("live_offer", None)


def live_claim(*, quantities: dict[int, int], phone: str, at: dt.datetime | None = None,
               window: Window | None = None) -> dict[int, LiveOffer]:
    """Take live units for every line with a live offer; call inside checkout's transaction.

    All lines or none (the caller's transaction rolls back on LiveLimitError). `window`:
    `live_window` for these SKUs at `at`, when the caller already has it."""
    from .services.holds import holds_place

    at = at or timezone.now()
    offers = live_offers(sku_ids=list(quantities), at=at, window=window)
    if not offers:
        return {}
    placed = set(OccurrenceHold.objects.filter(occurrence_id__in={o.occurrence_id for o in offers.values()})
                 .values_list("occurrence_id", flat=True))
    for occurrence_id in sorted({o.occurrence_id for o in offers.values()} - placed):
        holds_place(occurrence_id=occurrence_id)
    for sku_id in sorted(offers):
        _claim_one(offers[sku_id], quantities[sku_id], phone)
    return offers


def _claim_one(offer: LiveOffer, quantity: int, phone: str) -> None:
    name = FeaturedProduct.objects.select_related("sku__product").get(pk=offer.featured_id).sku
    label = f"{name.product.name} — {name.unit}"
    LiveBuyer.objects.bulk_create([LiveBuyer(occurrence_id=offer.occurrence_id, featured_id=offer.featured_id, phone=phone)],
                                  ignore_conflicts=True)
    buyer = LiveBuyer.objects.filter(occurrence_id=offer.occurrence_id, featured_id=offer.featured_id, phone=phone)
    if not buyer.filter(quantity__lte=offer.cap_per_buyer - quantity).update(quantity=F("quantity") + quantity):
        bought = buyer.values_list("quantity", flat=True).first() or 0
        raise LiveLimitError(_("Giá live của “%(name)s” giới hạn %(cap)s sản phẩm mỗi người mua; số điện thoại này đã mua "
                               "%(bought)s. Vui lòng giảm số lượng.") % {"name": label, "cap": offer.cap_per_buyer, "bought": bought})
    hold = OccurrenceHold.objects.filter(occurrence_id=offer.occurrence_id, featured_id=offer.featured_id,
                                         state=OccurrenceHold.State.HELD)
    if not hold.filter(sold__lte=F("held") - quantity).update(sold=F("sold") + quantity):
        left = hold.values_list("held", "sold").first()
        remaining = max(left[0] - left[1], 0) if left else 0
        if remaining:
            raise LiveLimitError(_("Chỉ còn %(left)s suất giá live của “%(name)s”. Vui lòng giảm số lượng.") % {
                "left": remaining, "name": label})
        raise LiveLimitError(_("Suất giá live của “%(name)s” vừa hết; sản phẩm trở về giá thường. Vui lòng xem lại giỏ hàng "
                               "và đặt lại.") % {"name": label})


def live_sales_record(*, checkout, claims: dict[int, LiveOffer], link_occurrence_id: int | None = None,
                      at: dt.datetime | None = None, window: Window | None = None, lines: Iterable | None = None) -> int:
    """Attribute the checkout's lines to occurrences: featured SKUs bought in a window (live price
    or not) and, for a buyer who came through a session link, every line. Returns rows written.

    The caller may pass what it already has: `window` (`live_window` at `at` for the lines'
    SKUs, as given to `live_claim`) and `lines` (the checkout's saved order lines)."""
    from marketplace.orders.models import OrderLine

    at = at or timezone.now()
    lines = None if lines is None else list(lines)
    if lines is None or any(line.pk is None for line in lines):  # e.g. a database whose bulk insert returns no ids
        lines = list(OrderLine.objects.filter(order__checkout=checkout))
    sku_ids = {line.sku_id for line in lines}
    pairs = live_window(sku_ids=sku_ids, at=at) if window is None else [(o, f) for o, f in window if f.sku_id in sku_ids]
    window = {(f.sku_id): o.pk for o, f in pairs}
    link = _link_occurrence(link_occurrence_id, at)
    rows: dict[tuple[int, int], LiveSale] = {}
    for line in lines:
        occurrence_id = claims[line.sku_id].occurrence_id if line.sku_id in claims else window.get(line.sku_id)
        if occurrence_id:
            rows[(occurrence_id, line.pk)] = LiveSale(
                occurrence_id=occurrence_id, order_id=line.order_id, order_line=line, sku_id=line.sku_id, quantity=line.quantity,
                unit_price_vnd=line.unit_price_vnd, at_live_price=line.sku_id in claims, featured=True)
        if link:
            sale = rows.setdefault((link, line.pk), LiveSale(
                occurrence_id=link, order_id=line.order_id, order_line=line, sku_id=line.sku_id, quantity=line.quantity,
                unit_price_vnd=line.unit_price_vnd))
            sale.via_link = True
    LiveSale.objects.bulk_create(rows.values(), ignore_conflicts=True)
    return len(rows)


def _link_occurrence(occurrence_id, at: dt.datetime) -> int | None:
    """The occurrence a session link named, while it still counts (until some hours after its end)."""
    try:
        occurrence_id = int(occurrence_id)
    except (TypeError, ValueError):
        return None
    horizon = at - dt.timedelta(hours=settings.LIVESTREAM_LINK_ATTRIBUTION_HOURS)
    found = Occurrence.objects.filter(pk=occurrence_id, ends_at__gte=horizon).exclude(status=Occurrence.Status.CANCELLED)
    return occurrence_id if found.exists() else None


def live_available(*, sku_id: int, default: int, at: dt.datetime | None = None) -> int:
    """How many units a buyer may put in the cart: in a live window the session's remaining live
    units (checkout takes featured lines from the hold), otherwise `default` (free stock)."""
    offer = live_offer(sku_id=sku_id, at=at)
    return offer.remaining if offer is not None else default
