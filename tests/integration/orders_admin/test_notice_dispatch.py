"""An order notice task lost with its worker (the embedded broker forgets a message once handed
out) is not lost: its dispatch row, written before it was enqueued, brings it back with the sweep,
and what was sent is not sent again."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from marketplace.notifications import services as notices
from marketplace.notifications.models import Dispatch
from marketplace.orders import tasks

pytestmark = pytest.mark.django_db


def later(settings, **extra) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=settings.NOTIFICATIONS_SWEEP_AFTER_SECONDS + 1, **extra)


def test_a_lost_checkout_notice_is_sent_by_the_sweep_exactly_once(world, emails, place, mailoutbox, monkeypatch,
                                                                  django_capture_on_commit_callbacks, settings):
    real = tasks.checkout_placed_notify.apply_async
    monkeypatch.setattr(tasks.checkout_placed_notify, "apply_async", lambda *args, **kwargs: None)  # the message is lost
    with django_capture_on_commit_callbacks(execute=True):
        orders = place()
    assert not mailoutbox
    row = Dispatch.objects.get()
    assert (row.key, row.task, row.args) == (f"orders:checkout:{orders['checkout'].pk}:placed",
                                             "marketplace.orders.tasks.checkout_placed_notify", [orders["checkout"].pk])

    monkeypatch.setattr(tasks.checkout_placed_notify, "apply_async", real)
    assert notices.dispatches_sweep() == 0  # not yet presumed lost
    assert notices.dispatches_sweep(now=later(settings)) == 1
    recipients = sorted(to for message in mailoutbox for to in message.to)
    assert recipients == sorted({"binh@example.vn"} | emails["p1"] | emails["p2"])
    assert not Dispatch.objects.exists()

    # The original message delivered late (Redis after its visibility timeout) sends nothing.
    assert tasks.checkout_placed_notify.apply(args=[orders["checkout"].pk], kwargs={"dispatch_key": row.key}).get() == 0
    assert notices.dispatches_sweep(now=later(settings, hours=1)) == 0
    assert len(mailoutbox) == len(recipients)


def test_a_notice_that_keeps_failing_is_left_for_a_person_after_the_last_attempt(world, place, monkeypatch,
                                                                                 django_capture_on_commit_callbacks, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    monkeypatch.setattr(tasks.checkout_placed_notify, "apply_async", lambda *args, **kwargs: None)
    with django_capture_on_commit_callbacks(execute=True):
        place()
    at = later(settings)
    assert notices.dispatches_sweep(now=at) == 1
    assert notices.dispatches_sweep(now=at + dt.timedelta(days=1)) == 1
    assert notices.dispatches_sweep(now=at + dt.timedelta(days=2)) == 0
    assert Dispatch.objects.get().attempts == 2
