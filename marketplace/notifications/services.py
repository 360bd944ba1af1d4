"""Durable notifications: record in the caller's transaction, send from a worker, sweep what
a lost task or a killed worker left pending.

A message is sent inside a transaction that holds its row (a conditional update from pending),
so a second task for the same row waits and then finds it sent, and a worker killed mid-send
rolls back and leaves the row pending. What cannot be excluded is a worker killed after the
channel took the message but before the commit: that message goes out again (at least once).
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .channels import CHANNELS, Message, Recipient, address_of, recipient_at, render
from .models import Dispatch, Notification

log = logging.getLogger(__name__)
SWEEP_BATCH = 500


def _sweep_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.NOTIFICATIONS_SWEEP_AFTER_SECONDS)


def _backoff(attempts: int) -> dt.timedelta:
    seconds = settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, settings.NOTIFICATIONS_RETRY_MAX_SECONDS))


def notification_queue(*, key: str, recipient: Recipient, template: str, context: dict,
                       channel: str = "email") -> Notification | None:
    """Record one message under `key` and send it after commit; a key seen before records
    and sends nothing. None when the channel cannot reach the recipient."""
    if not CHANNELS[channel].can_reach(recipient):
        return None
    message = render(template=template, context=context)
    now = timezone.now()
    row, created = Notification.objects.get_or_create(key=key, defaults={
        "channel": channel, "recipient": address_of(channel=channel, recipient=recipient),
        "recipient_name": recipient.name[:200], "template": template, "subject": message.subject[:255],
        "body": message.body, "created_at": now, "due_at": now + _sweep_after()})
    if created:
        from . import tasks

        transaction.on_commit(lambda: tasks.send.delay(row.pk), robust=True)
    return row


def notification_send(*, notification_id: int) -> bool:
    """Send one pending message; True when it was sent now, False when there was nothing to do
    (sent before, given up) or the send failed (it is retried by the sweep after a back-off)."""
    try:
        with transaction.atomic():
            claimed = Notification.objects.filter(pk=notification_id, status=Notification.Status.PENDING).update(
                attempts=F("attempts") + 1)
            if not claimed:
                return False
            row = Notification.objects.get(pk=notification_id)
            recipient = recipient_at(channel=row.channel, address=row.recipient, name=row.recipient_name)
            CHANNELS[row.channel].send(recipient=recipient, message=Message(subject=row.subject, body=row.body))
            Notification.objects.filter(pk=row.pk).update(status=Notification.Status.SENT, sent_at=timezone.now(), last_error="")
    except Exception as error:  # the channel failed: count the attempt outside the rolled-back transaction
        log.exception("notification %s failed", notification_id)
        _failed(notification_id, error)
        return False
    return True


def _failed(notification_id: int, error: Exception) -> None:
    row = Notification.objects.filter(pk=notification_id, status=Notification.Status.PENDING).first()
    if row is None:
        return
    attempts = row.attempts + 1
    gave_up = attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
    Notification.objects.filter(pk=row.pk, status=Notification.Status.PENDING).update(
        attempts=attempts, last_error=str(error)[:500], due_at=timezone.now() + _backoff(attempts),
        status=Notification.Status.FAILED if gave_up else Notification.Status.PENDING)


def dispatch_record(*, key: str, task, args: Sequence) -> None:
    """Record a notice task under `key` in the caller's transaction, then enqueue it after commit
    (the task calls `dispatch_done` when it has finished).

    One insert that skips a key recorded before (no lookup and savepoint first: this runs inside
    checkouts and payments). Such a key's task is enqueued once more, which sends nothing twice:
    a notice task must be idempotent anyway, since the sweep runs it again when it seems lost."""
    now = timezone.now()
    Dispatch.objects.bulk_create([Dispatch(key=key, task=task.name, args=list(args), created_at=now,
                                           due_at=now + _sweep_after())], ignore_conflicts=True)
    transaction.on_commit(lambda: task.apply_async(args=list(args), kwargs={"dispatch_key": key}), robust=True)


def dispatch_done(*, key: str) -> None:
    if key:
        Dispatch.objects.filter(key=key).delete()


def notifications_sweep(*, now: dt.datetime | None = None) -> int:
    """Enqueue a send for every pending message that is due; returns how many."""
    now = now or timezone.now()
    ids = list(Notification.objects.filter(status=Notification.Status.PENDING, due_at__lte=now)
               .order_by("due_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    # Look again only after another interval: a queued send is not enqueued on every beat.
    Notification.objects.filter(pk__in=ids).update(due_at=now + _sweep_after())
    from . import tasks

    for pk in ids:
        tasks.send.delay(pk)
    return len(ids)


def dispatches_sweep(*, now: dt.datetime | None = None) -> int:
    """Enqueue again every notice task recorded but not finished in time; returns how many.
    After NOTIFICATIONS_MAX_ATTEMPTS the row is left for a person to look at."""
    now = now or timezone.now()
    rows = list(Dispatch.objects.filter(due_at__lte=now, attempts__lt=settings.NOTIFICATIONS_MAX_ATTEMPTS)
                .order_by("due_at")[:SWEEP_BATCH])
    for row in rows:
        wait = max(_sweep_after(), _backoff(row.attempts + 1))
        Dispatch.objects.filter(pk=row.pk).update(attempts=row.attempts + 1, due_at=now + wait)
        task = current_app.tasks.get(row.task)
        if task is None:
            log.error("notice %s: task %s is not registered", row.key, row.task)
            continue
        task.apply_async(args=row.args, kwargs={"dispatch_key": row.key})
    return len(rows)
