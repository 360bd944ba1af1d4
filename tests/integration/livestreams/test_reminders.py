"""Reminders 24 h and 15 min before, and a cancellation notice: exactly once per subscriber and
occurrence when beat fires twice, a batch is interrupted, a worker died holding claims, or the
occurrence is moved."""
import datetime as dt
from collections import Counter

import pytest
from django.core import mail
from django.utils import timezone

from marketplace import notifications
from marketplace.livestreams import services, tasks
from marketplace.livestreams.models import Occurrence, ReminderSent, Subscription
from marketplace.livestreams.services.reminders import CANCELLED, kind_for

from .conftest import confirm_subscriptions, local_in

pytestmark = pytest.mark.django_db
N = 23


@pytest.fixture(autouse=True)
def small_batches(settings):
    settings.LIVESTREAM_REMINDER_BATCH = 5
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def occurrence(plan):
    """Starts in 23 hours: the 24-hour reminder is due."""
    start = local_in(hours=23)
    session = plan(starts_local=start, ends_local=start + dt.timedelta(hours=2))
    for n in range(N):
        services.subscription_create(email=f"Nguoi.Mua{n}@Example.vn", session=session)
    assert confirm_subscriptions() == N
    return session.occurrences.get()


def recipients() -> Counter:
    return Counter(message.to[0] for message in mail.outbox)


def test_twenty_four_hours_before_each_subscriber_once_even_when_beat_fires_twice(occurrence):
    [due] = services.reminders_due()
    assert (due.occurrence_id, due.kind) == (occurrence.pk, kind_for(1440))
    tasks.reminders_dispatch()
    tasks.reminders_dispatch()
    assert len(mail.outbox) == N and set(recipients().values()) == {1}
    assert services.reminders_due() == []
    message = mail.outbox[0]
    assert message.subject.startswith("Nhắc lịch live: Chợ phiên Gia Phú online")
    assert "/livestream/" in message.body and "huy-nhac-lich" in message.body and "tiktok.com" in message.body
    assert ReminderSent.objects.filter(sent_at__isnull=False).count() == N


def test_fifteen_minutes_before(occurrence):
    services.reminders_send(occurrence_id=occurrence.pk, kind=kind_for(1440), scheduled_start=occurrence.starts_at)
    mail.outbox.clear()
    [due] = services.reminders_due(now=occurrence.starts_at - dt.timedelta(minutes=10))
    assert due.kind == kind_for(15)
    services.reminders_send(occurrence_id=occurrence.pk, kind=due.kind, scheduled_start=due.scheduled_start)
    assert len(mail.outbox) == N and mail.outbox[0].subject.startswith("Sắp phát live")
    assert services.reminders_due(now=occurrence.starts_at - dt.timedelta(minutes=10)) == []


def test_a_batch_interrupted_midway_is_finished_by_the_next_run_without_duplicates(occurrence, monkeypatch):
    real, calls = notifications.notify, {"n": 0}

    def dies_after_seven(**kwargs):
        calls["n"] += 1
        if calls["n"] == 8:
            raise RuntimeError("worker lost")
        return real(**kwargs)

    monkeypatch.setattr(notifications, "notify", dies_after_seven)
    with pytest.raises(RuntimeError):
        services.reminders_send(occurrence_id=occurrence.pk, kind=kind_for(1440), scheduled_start=occurrence.starts_at)
    assert len(mail.outbox) == 7
    assert ReminderSent.objects.filter(sent_at__isnull=False).count() == 7
    assert ReminderSent.objects.filter(sent_at__isnull=True).count() == 0  # the unsent claims were released
    monkeypatch.setattr(notifications, "notify", real)
    tasks.reminders_dispatch()
    assert len(mail.outbox) == N and set(recipients().values()) == {1}


def test_claims_of_a_killed_worker_are_taken_over_after_the_lease(occurrence, settings):
    subscription_ids = list(occurrence.session.subscriptions.values_list("pk", flat=True)[:4])
    stale = timezone.now() - dt.timedelta(seconds=settings.LIVESTREAM_REMINDER_LEASE_SECONDS + 5)
    ReminderSent.objects.bulk_create([
        ReminderSent(subscription_id=pk, occurrence=occurrence, kind=kind_for(1440), scheduled_start=occurrence.starts_at,
                     claim="dead", claimed_at=stale) for pk in subscription_ids])
    fresh = occurrence.session.subscriptions.exclude(pk__in=subscription_ids).first()
    ReminderSent.objects.create(subscription=fresh, occurrence=occurrence, kind=kind_for(1440),
                                scheduled_start=occurrence.starts_at, claim="alive", claimed_at=timezone.now())
    sent = services.reminders_send(occurrence_id=occurrence.pk, kind=kind_for(1440), scheduled_start=occurrence.starts_at)
    assert sent == N - 1  # the live claim is not stolen
    assert fresh.email not in recipients()


def test_a_moved_occurrence_reminds_at_the_new_time(occurrence):
    services.reminders_send(occurrence_id=occurrence.pk, kind=kind_for(1440), scheduled_start=occurrence.starts_at)
    old_start = occurrence.starts_at
    new_local = local_in(hours=30)
    services.occurrence_move(occurrence=occurrence, starts_local=new_local, ends_local=new_local + dt.timedelta(hours=2), by=None)
    occurrence.refresh_from_db()
    # A task enqueued for the old time before the move sends nothing.
    assert services.reminders_send(occurrence_id=occurrence.pk, kind=kind_for(1440), scheduled_start=old_start) == 0
    assert services.reminders_due() == []  # 30 h away: not yet
    [due] = services.reminders_due(now=occurrence.starts_at - dt.timedelta(hours=23))
    assert due.scheduled_start == occurrence.starts_at
    services.reminders_send(occurrence_id=due.occurrence_id, kind=due.kind, scheduled_start=due.scheduled_start)
    services.reminders_send(occurrence_id=due.occurrence_id, kind=due.kind, scheduled_start=due.scheduled_start)
    assert len(mail.outbox) == 2 * N and set(recipients().values()) == {2}
    assert "đã dời từ" in mail.outbox[-1].body


def test_a_cancelled_occurrence_sends_one_notice(occurrence):
    services.reminders_send(occurrence_id=occurrence.pk, kind=kind_for(1440), scheduled_start=occurrence.starts_at)
    mail.outbox.clear()
    services.occurrence_cancel(occurrence=occurrence, reason="Mưa bão", by=None)
    [due] = services.reminders_due()
    assert due.kind == CANCELLED
    tasks.reminders_dispatch()
    tasks.reminders_dispatch()
    assert len(mail.outbox) == N and set(recipients().values()) == {1}
    assert mail.outbox[0].subject.startswith("Huỷ buổi live") and "Mưa bão" in mail.outbox[0].body
    assert f"lúc {timezone.localtime(occurrence.starts_at):%H:%M %d/%m/%Y} (giờ Việt Nam) đã bị huỷ" in mail.outbox[0].body
    # No reminder for a cancelled occurrence any more.
    assert services.reminders_send(occurrence_id=occurrence.pk, kind=kind_for(15), scheduled_start=occurrence.starts_at) == 0


def test_unsubscribed_and_single_occurrence_subscribers(plan):
    start = local_in(hours=20)
    session = plan(starts_local=start, ends_local=start + dt.timedelta(hours=1), rrule="FREQ=DAILY;COUNT=2")
    first, second = session.occurrences.order_by("index")
    gone = services.subscription_create(email="a@example.vn", session=session)
    services.subscription_create(email="b@example.vn", session=session, occurrence=second)
    confirm_subscriptions()
    services.subscription_cancel(token=gone.token)
    services.reminders_send(occurrence_id=first.pk, kind=kind_for(1440), scheduled_start=first.starts_at)
    assert mail.outbox == []
    services.reminders_send(occurrence_id=second.pk, kind=kind_for(1440), scheduled_start=second.starts_at)
    assert recipients() == Counter({"b@example.vn": 1})


def test_invalid_email_is_refused(plan):
    session = plan()
    with pytest.raises(services.LiveError) as error:
        services.subscription_create(email="khong-phai-email", session=session)
    assert "Địa chỉ email không hợp lệ" in error.value.message
    assert not session.subscriptions.exists()


def test_subscribing_twice_is_one_subscription(plan):
    session = plan()
    occurrence = session.occurrences.get()
    one = services.subscription_create(email="X@Example.vn", session=session, occurrence=occurrence)
    confirm_subscriptions()
    one.refresh_from_db()
    assert one.occurrence_id == occurrence.pk
    Subscription.objects.update(confirmation_sent_at=None)  # the resend pause is over
    two = services.subscription_create(email="x@example.vn", session=session)
    confirm_subscriptions()  # widening the choice needs the link too
    two.refresh_from_db()
    assert one.pk == two.pk and two.occurrence_id is None
    assert Occurrence.objects.count() == 1
