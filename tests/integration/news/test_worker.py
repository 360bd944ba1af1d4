"""On PostgreSQL with a real Celery worker process on Redis: the beat tasks of the news area."""
import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from cms.articles.pages import ArticlePage
from cms.models import PromotionReminder
from cms.tasks import promotion_reminders, scheduled_publish
from marketplace import celery_app
from tests.celery_worker import wait_for

from .conftest import promotion

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_beat_tasks_publish_due_articles_and_remind_once_on_a_real_worker(news_index, editors, worker, settings):
    assert connection.vendor == "postgresql"
    article = promotion(news_index, publish=False)
    revision = article.save_revision()
    past = timezone.now() - dt.timedelta(seconds=5)
    type(revision).objects.filter(pk=revision.pk).update(approved_go_live_at=past)
    celery_app.conf.task_always_eager = False
    try:
        scheduled_publish.delay()
        assert wait_for(lambda: ArticlePage.objects.filter(pk=article.pk, live=True).exists(), worker)
        ArticlePage.objects.filter(pk=article.pk).update(kind="news")  # so the commune has no promotion
        if timezone.localdate().day >= 20:
            promotion_reminders.delay()
            promotion_reminders.delay()
            assert wait_for(lambda: PromotionReminder.objects.exists(), worker)
            assert PromotionReminder.objects.count() == 1
    finally:
        celery_app.conf.task_always_eager = True
