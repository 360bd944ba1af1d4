"""On PostgreSQL with a real Celery worker process on Redis (run by .ci/run)."""
import datetime as dt
import os
import subprocess
import sys
import time

import pytest
from django.db import connection

from marketplace import celery_app
from marketplace.catalog.models import Product
from marketplace.catalog.tasks import certificates_expire

# serialized_rollback: the flush after a transactional test also empties what data migrations
# loaded (admin units, home page); restore it for the tests that follow.
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def worker():
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "DJANGO_SETTINGS_MODULE": "marketplace.settings.test"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "marketplace", "worker", "--pool", "solo", "--loglevel", "WARNING"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def _test_database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def test_daily_expiry_task_runs_on_a_real_worker(make_listing, worker, settings):
    assert connection.vendor == "postgresql"
    settings.OCOP_EXPIRED_UNPUBLISH = True
    page = make_listing(stars=3, issued_on=dt.date.today() - dt.timedelta(days=40 * 31))
    celery_app.conf.task_always_eager = False
    try:
        certificates_expire.delay()
    finally:
        celery_app.conf.task_always_eager = True
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not Product.objects.get(pk=page.product_id).is_published:
            break
        assert worker.poll() is None, worker.stdout.read().decode()
        time.sleep(0.3)
    assert not Product.objects.get(pk=page.product_id).is_published
