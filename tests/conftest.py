import os
import socket

import pytest

from tests import celery_worker, factories


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config, items):
    """`services` tests need PostgreSQL (DATABASE_URL) and Redis (CELERY_BROKER_URL); .ci/run sets both."""
    database_url = os.environ.get("DATABASE_URL", "")
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    reason = None
    if not database_url.startswith("postgres"):
        reason = "needs PostgreSQL: run with DATABASE_URL=postgres://... (as .ci/run does)"
    elif not broker_url.startswith("redis") or not _reachable("127.0.0.1", 6379):
        reason = "needs Redis: run with CELERY_BROKER_URL=redis://127.0.0.1:6379/0 (as .ci/run does)"
    if reason:
        for item in items:
            if "services" in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _vietnamese():
    """Requests to /en/ activate English in the test thread; every test starts in Vietnamese."""
    from django.utils import translation

    translation.activate("vi")
    yield
    translation.activate("vi")


@pytest.fixture
def commune(db):
    return factories.commune("02923")  # Xã Gia Phú, Lào Cai


@pytest.fixture
def producer_page(commune):
    return factories.producer_page(commune=commune)


@pytest.fixture
def make_listing(producer_page):
    def make(**kwargs):
        kwargs.setdefault("producer_page", producer_page)
        return factories.listing(**kwargs)

    return make


@pytest.fixture
def worker():
    """A real Celery worker process (for `services` tests on PostgreSQL and Redis)."""
    yield from celery_worker.running()
