"""On PostgreSQL with a real Celery worker process on Redis (run by .ci/run)."""
import datetime as dt

import pytest
from django.db import connection

from marketplace import celery_app
from marketplace.catalog.models import Product
from marketplace.catalog.tasks import certificates_expire
from tests.celery_worker import wait_for

# serialized_rollback: the flush after a transactional test also empties what data migrations
# loaded (admin units, home page); restore it for the tests that follow.
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_daily_expiry_task_runs_on_a_real_worker(make_listing, worker, settings):
    assert connection.vendor == "postgresql"
    settings.OCOP_EXPIRED_UNPUBLISH = True
    page = make_listing(stars=3, issued_on=dt.date.today() - dt.timedelta(days=40 * 31))
    celery_app.conf.task_always_eager = False
    try:
        certificates_expire.delay()
    finally:
        celery_app.conf.task_always_eager = True
    assert wait_for(lambda: not Product.objects.get(pk=page.product_id).is_published, worker)
