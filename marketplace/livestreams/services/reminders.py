"""Reminders before each occurrence (24 h and 15 min by default) and a notice when one is
cancelled, sent once per subscriber and occurrence.

Claim, then send: a batch of `ReminderSent` rows is inserted with one `bulk_create(...,
ignore_conflicts=True)` under a fresh claim token, and only the rows carrying that token are
sent. The unique key (subscription, occurrence, kind, scheduled start) makes a second beat or a
concurrent worker claim nothing already claimed; a moved occurrence has a new start, so its
subscribers are reminded at the new time. Rows sent are stamped `sent_at`; when a send fails or
the batch is interrupted by an exception, the claims not sent are released for the next run; a
worker killed outright leaves claims that the next run takes over once the lease has passed.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from marketplace import notifications

from ..models import LiveSession, Occurrence, ReminderSent, Subscription
from ..recurrence import to_local

CANCELLED = "cancelled"


def kind_for(minutes: int) -> str:
    return f"before{minutes}m"


@dataclasses.dataclass(frozen=True)
class Due:
    occurrence_id: int
    kind: str
    scheduled_start: dt.datetime


def subscribers(*, occurrence: Occurrence, kind: str):
    """Confirmed, active subscriptions of this occurrence (directly or through its session)."""
    rows = Subscription.objects.filter(Q(occurrence__isnull=True) | Q(occurrence=occurrence), session_id=occurrence.session_id,
                                       unsubscribed_at__isnull=True, confirmed_at__isnull=False)
    if kind == CANCELLED and occurrence.cancelled_at:
        rows = rows.filter(created_at__lte=occurrence.cancelled_at)
    return rows.order_by("pk")


def _pending(occurrence: Occurrence, kind: str) -> bool:
    """Someone still to tell? Two index-friendly counts rather than an anti-join, whose plan goes
    bad on freshly filled tables."""
    active = subscribers(occurrence=occurrence, kind=kind)
    claimed = ReminderSent.objects.filter(occurrence=occurrence, kind=kind, scheduled_start=occurrence.starts_at,
                                          subscription__in=active.values("pk"))
    return active.count() > claimed.count()


def reminders_due(*, now: dt.datetime | None = None) -> list[Due]:
    """(occurrence, kind, start) with subscribers still to tell. Only the latest reminder whose
    time has come is due (subscribing 2 hours before gives the 15-minute one, not a late 24 h)."""
    now = now or timezone.now()
    offsets = sorted(settings.LIVESTREAM_REMINDER_MINUTES)
    upcoming = Occurrence.objects.filter(
        status=Occurrence.Status.SCHEDULED, session__state__in=[LiveSession.State.SCHEDULED, LiveSession.State.LIVE],
        starts_at__gt=now, starts_at__lte=now + dt.timedelta(minutes=max(offsets, default=0)))
    due = []
    for occurrence in upcoming:
        minutes = next(m for m in offsets if occurrence.starts_at - dt.timedelta(minutes=m) <= now)
        due.append((occurrence, kind_for(minutes)))
    for occurrence in Occurrence.objects.filter(status=Occurrence.Status.CANCELLED, starts_at__gt=now, cancelled_at__isnull=False):
        due.append((occurrence, CANCELLED))
    return [Due(o.pk, kind, o.starts_at) for o, kind in due if _pending(o, kind)]


def reminders_send(*, occurrence_id: int, kind: str, scheduled_start: dt.datetime, now: dt.datetime | None = None,
                   batch: int | None = None) -> int:
    """Send one kind of reminder for one occurrence to every subscriber not yet told; returns
    how many were sent. Stale work (the occurrence moved or was cancelled since) sends nothing."""
    now = now or timezone.now()
    batch = batch or settings.LIVESTREAM_REMINDER_BATCH
    occurrence = Occurrence.objects.select_related("session__commune__parent").filter(pk=occurrence_id).first()
    if occurrence is None or not _still_due(occurrence, kind, scheduled_start):
        return 0
    lease = now - dt.timedelta(seconds=settings.LIVESTREAM_REMINDER_LEASE_SECONDS)
    ReminderSent.objects.filter(occurrence=occurrence, kind=kind, scheduled_start=scheduled_start, sent_at__isnull=True,
                                claimed_at__lt=lease).delete()  # a worker died holding these: take them over
    context = _context(occurrence, kind)
    sent, last = 0, 0
    rows = subscribers(occurrence=occurrence, kind=kind)
    while True:  # keyset pages; subscribers already claimed are skipped by the unique key
        ids = list(rows.filter(pk__gt=last).values_list("pk", flat=True)[:batch])
        if not ids:
            return sent
        last = ids[-1]
        done, failed = _claim_and_send(occurrence, kind, scheduled_start, ids, context)
        sent += done
        if failed:
            return sent  # the channel is failing: leave the rest for the next beat


def _still_due(occurrence: Occurrence, kind: str, scheduled_start: dt.datetime) -> bool:
    if kind == CANCELLED:
        return occurrence.status == Occurrence.Status.CANCELLED
    return occurrence.status == Occurrence.Status.SCHEDULED and occurrence.starts_at == scheduled_start


def _claim_and_send(occurrence, kind, scheduled_start, subscription_ids, context) -> tuple[int, int]:
    token, now = uuid.uuid4().hex, timezone.now()
    ReminderSent.objects.bulk_create(
        [ReminderSent(subscription_id=pk, occurrence=occurrence, kind=kind, scheduled_start=scheduled_start, claim=token,
                      claimed_at=now) for pk in subscription_ids],
        ignore_conflicts=True,
    )
    mine = list(ReminderSent.objects.filter(occurrence=occurrence, kind=kind, scheduled_start=scheduled_start, claim=token,
                                            sent_at__isnull=True).select_related("subscription"))
    template = "livestream_cancelled" if kind == CANCELLED else "livestream_reminder"
    sent_ids, claimed_ids = [], [row.pk for row in mine]
    try:
        for row in mine:
            recipient = notifications.Recipient(email=row.subscription.email)
            extra = {"unsubscribe_url": _absolute("livestreams:unsubscribe", row.subscription.token)}
            if notifications.notify(recipient=recipient, template=template, context={**context, **extra}):
                sent_ids.append(row.pk)
    finally:
        # Stamp what went out, release what did not, even when interrupted mid-batch.
        ReminderSent.objects.filter(pk__in=sent_ids).update(sent_at=timezone.now())
        unsent = set(claimed_ids) - set(sent_ids)
        if unsent:
            ReminderSent.objects.filter(pk__in=unsent, sent_at__isnull=True).delete()
    return len(sent_ids), len(claimed_ids) - len(sent_ids)


def _absolute(name: str, *args) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return settings.SITE_BASE_URL.rstrip("/") + reverse(name, args=args)


def _context(occurrence: Occurrence, kind: str) -> dict:
    session = occurrence.session
    start, end = to_local(occurrence.starts_at), to_local(occurrence.ends_at)
    minutes = kind[6:-1] if kind.startswith("before") else ""
    return {
        "title": session.title, "commune": session.commune.name, "province": session.commune.parent.name if session.commune.parent_id else "",
        "venue": session.venue, "start": start, "end": end, "minutes": int(minutes) if minutes.isdigit() else None,
        "moved_from": to_local(occurrence.moved_from) if occurrence.moved_from else None,
        "reason": occurrence.cancel_reason, "url": _absolute("livestreams:occurrence", occurrence.pk),
        "links": [(link.get_platform_display(), link.url) for link in session.links.all() if link.url],
    }
