"""The monthly reminder: from the 20th (Vietnam time), once per commune and month, to the
commune's editors, only when no promotion article is published yet that month."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from cms.articles import services as news
from cms.models import PromotionReminder

from .conftest import promotion

pytestmark = pytest.mark.django_db


def _today_in_month(day: int) -> dt.date:
    return timezone.localdate().replace(day=day)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run the reminders as a beat would: the messages go out once the transaction commits."""
    def run(day: int) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return news.promotion_reminders_send(today=_today_in_month(day))

    return run


def test_no_reminder_before_the_20th(editors, news_index, send):
    assert send(19) == 0
    assert not mail.outbox and not PromotionReminder.objects.exists()


def test_reminder_goes_once_to_every_editor_of_a_commune_without_a_promotion(editors, news_index, commune_page, send):
    promotion(news_index, publish=False)  # a draft does not count
    news.article_create(news_index=news_index, title="Tin thường", intro="x", body=[])  # news does not count
    assert send(20) == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["hai@example.vn", "mot@example.vn"]
    message = mail.outbox[0]
    month = f"{timezone.localdate():%m/%Y}"
    assert message.subject == f"Xã Gia Phú: chưa có bài quảng bá sản phẩm tháng {month}"
    assert f"/admin/pages/add/cms/articlepage/{news_index.pk}/" in message.body
    # The next days (and a second beat) do not send it again.
    assert send(21) == 0
    assert send(20) == 0
    assert len(mail.outbox) == 2
    assert PromotionReminder.objects.get().month == timezone.localdate().replace(day=1)


def test_no_reminder_when_a_promotion_is_published_this_month(editors, news_index, send):
    promotion(news_index)
    assert send(25) == 0
    assert not mail.outbox


def test_the_log_row_is_unique_per_commune_and_month(commune_page):
    from django.db import IntegrityError, transaction

    month = timezone.localdate().replace(day=1)
    PromotionReminder.objects.create(commune_page=commune_page, month=month)
    with pytest.raises(IntegrityError), transaction.atomic():
        PromotionReminder.objects.create(commune_page=commune_page, month=month)


def test_the_beat_task_runs_the_service(editors, news_index, settings, django_capture_on_commit_callbacks):
    from cms.tasks import promotion_reminders

    settings.NEWS_REMINDER_DAY = 1  # whatever today's date is
    with django_capture_on_commit_callbacks(execute=True):
        assert promotion_reminders.delay().get() == 1
    assert len(mail.outbox) == 2
    assert "cms-promotion-reminders" in settings.CELERY_BEAT_SCHEDULE
    assert settings.CELERY_BEAT_SCHEDULE["cms-scheduled-publish"]["schedule"] == 60.0


def test_reminders_a_worker_did_not_send_go_out_with_the_sweep(editors, news_index, monkeypatch, settings):
    """The log row commits with the messages: a worker killed after the row was written (here:
    the send tasks never run) leaves them pending, and the sweep sends each exactly once."""
    from marketplace.notifications import services as notices
    from marketplace.notifications.models import Notification

    assert news.promotion_reminders_send(today=_today_in_month(20)) == 1  # no commit: the sends never ran
    assert not mail.outbox
    assert sorted(Notification.objects.filter(status="pending").values_list("recipient", flat=True)) == [
        "hai@example.vn", "mot@example.vn"]
    assert notices.notifications_sweep() == 0  # still with their task
    later = timezone.now() + dt.timedelta(seconds=settings.NOTIFICATIONS_SWEEP_AFTER_SECONDS + 1)
    assert notices.notifications_sweep(now=later) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["hai@example.vn", "mot@example.vn"]
    assert notices.notifications_sweep(now=later + dt.timedelta(hours=1)) == 0
    assert len(mail.outbox) == 2 and not Notification.objects.exclude(status="sent").exists()
