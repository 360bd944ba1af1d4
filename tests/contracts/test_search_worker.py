"""On PostgreSQL with a real Celery worker on Redis (run by .ci/run): a publish reaches the
index through transaction.on_commit → Celery → the worker, within seconds."""
import os
import subprocess
import sys
import time

import pytest
from django.db import connection

from marketplace import celery_app
from search.backends.base import SearchQuery
from search.services import search_products

# serialized_rollback: the flush after a transactional test also empties what data migrations
# loaded (admin units, home page); restore it for the tests that follow.
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def worker():
    s = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}",
           "DJANGO_SETTINGS_MODULE": "marketplace.settings.test"}
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


def wait_for(predicate, worker, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        assert worker.poll() is None, worker.stdout.read().decode()
        time.sleep(0.3)
    return False


def test_publish_and_unpublish_reach_the_index_through_a_real_worker(make_listing, worker):
    from cms import services as cms_services

    query = SearchQuery(text="mat ong hoa ca phe")
    celery_app.conf.task_always_eager = False
    try:
        page = make_listing(name="Mật ong hoa cà phê")
        assert wait_for(lambda: search_products(query=query).total == 1, worker)
        cms_services.listing_unpublish(page=page)
        assert wait_for(lambda: search_products(query=query).total == 0, worker)
    finally:
        celery_app.conf.task_always_eager = True
