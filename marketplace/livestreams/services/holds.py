"""The ring-fence: from the start of an occurrence's window its featured units are held on the
SKU's stock (a catalogue reservation, so `available` everywhere, the connectors' pushes included,
leaves them out); what was not sold goes back when the window ends or the occurrence is cancelled.

Every step is idempotent: placing checks for the hold row under the occurrence's row lock,
returning flips the hold's state with a conditional UPDATE before giving units back."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from marketplace.catalog import services as catalog
from marketplace.catalog.models import Stock

from ..models import LiveSession, Occurrence, OccurrenceHold
from .occurrences import _session_state_refresh
from .schedule import ACTIVE

LIVE_STATES = (LiveSession.State.SCHEDULED, LiveSession.State.LIVE)


def holds_place(*, occurrence_id: int) -> int:
    """Hold min(cap, available) units of each featured SKU for the occurrence; returns the units
    newly held. A second call holds nothing more."""
    total = 0
    with transaction.atomic():
        # FOR NO KEY UPDATE: it serialises hold placement without blocking the foreign-key checks
        # (FOR KEY SHARE) of buyers already inserting live sales for this occurrence; a plain FOR
        # UPDATE queued behind them and deadlocked racing checkouts at a window's start.
        occurrence = (Occurrence.objects.select_for_update(no_key=True).select_related("session")
                      .filter(pk=occurrence_id).first())
        if occurrence is None or occurrence.status not in ACTIVE or occurrence.session.state not in LIVE_STATES:
            return 0
        done = set(OccurrenceHold.objects.filter(occurrence=occurrence).values_list("featured_id", flat=True))
        for featured in occurrence.session.featured.order_by("sku_id"):
            if featured.pk in done:
                continue
            stock = Stock.objects.select_for_update().filter(sku_id=featured.sku_id).first()
            units = max(min(featured.cap_total, stock.available if stock else 0), 0)
            if units:
                catalog.stock_reserve(lines=[(featured.sku_id, units)])
            OccurrenceHold.objects.create(occurrence=occurrence, featured=featured, held=units)
            total += units
    return total


def holds_return(*, occurrence_id: int) -> int:
    """Give back the held units not sold; returns how many went back to stock."""
    total = 0
    with transaction.atomic():
        for hold_id in OccurrenceHold.objects.filter(occurrence_id=occurrence_id, state=OccurrenceHold.State.HELD).values_list(
                "pk", flat=True):
            flipped = OccurrenceHold.objects.filter(pk=hold_id, state=OccurrenceHold.State.HELD).update(
                state=OccurrenceHold.State.RETURNED, returned_at=timezone.now())
            if not flipped:
                continue  # another run returned it
            hold = OccurrenceHold.objects.select_related("featured").get(pk=hold_id)
            unsold = hold.held - hold.sold
            if unsold > 0:
                catalog.stock_release(lines=[(hold.featured.sku_id, unsold)])
            OccurrenceHold.objects.filter(pk=hold_id).update(returned=F("returned") + unsold)
            total += unsold
    return total


def windows_tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Run by beat: hold units for windows about to open, mark them live, close ended windows and
    return their units. Safe to run twice or late."""
    now = now or timezone.now()
    lead = dt.timedelta(seconds=settings.LIVESTREAM_HOLD_LEAD_SECONDS)
    counts = {"held": 0, "started": 0, "ended": 0, "returned": 0}
    opening = Occurrence.objects.filter(status=Occurrence.Status.SCHEDULED, session__state__in=LIVE_STATES,
                                        starts_at__lte=now + lead, ends_at__gt=now)
    for occurrence in opening.only("pk", "starts_at", "session_id"):
        counts["held"] += holds_place(occurrence_id=occurrence.pk)
        if occurrence.starts_at <= now:
            with transaction.atomic():
                counts["started"] += Occurrence.objects.filter(pk=occurrence.pk, status=Occurrence.Status.SCHEDULED).update(
                    status=Occurrence.Status.LIVE)
                _session_state_refresh(occurrence.session_id)
    for occurrence in Occurrence.objects.filter(status__in=ACTIVE, ends_at__lte=now).only("pk", "session_id"):
        with transaction.atomic():
            counts["ended"] += Occurrence.objects.filter(pk=occurrence.pk, status__in=ACTIVE).update(status=Occurrence.Status.ENDED)
            counts["returned"] += holds_return(occurrence_id=occurrence.pk)
            _session_state_refresh(occurrence.session_id)
    stray = OccurrenceHold.objects.filter(state=OccurrenceHold.State.HELD).exclude(occurrence__status__in=ACTIVE)
    for occurrence_id in set(stray.values_list("occurrence_id", flat=True)):
        counts["returned"] += holds_return(occurrence_id=occurrence_id)
    return counts
