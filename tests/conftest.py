import os
import socket

import pytest

from tests import celery_worker, dbrestore, factories


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
    if reason and os.environ.get("CI_REQUIRE_SERVICES"):
        raise pytest.UsageError(f"CI_REQUIRE_SERVICES is set but the services are not usable: {reason}")
    if reason:
        for item in items:
            if "services" in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database as pytest-django makes it; the migrated data is then restored in bulk by
    us for transactional tests that ask for serialized rollback (see tests/dbrestore.py)."""
    dbrestore.take_over_serialized_contents()
    yield


@pytest.fixture(autouse=True)
def _migrated_data_for_transactional_tests(request):
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("serialized_rollback"):
        with request.getfixturevalue("django_db_blocker").unblock():
            dbrestore.restore_all_if_missing()
    yield


@pytest.fixture(scope="module", autouse=True)
def _restore_migrated_data_after_module(django_db_blocker):
    """After a module's last test (and a transactional test's flush), put the migrated data back."""
    yield
    if dbrestore.migrated_contents:
        with django_db_blocker.unblock():
            dbrestore.restore_all_if_missing()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from search import analysis

    cache.clear()
    analysis.synonyms_forget_local()  # a test database is emptied without model signals
    yield


@pytest.fixture(autouse=True)
def _vietnamese():
    """Requests to /en/ activate English in the test thread; every test starts in Vietnamese."""
    from django.utils import translation

    translation.activate("vi")
    yield
    translation.activate("vi")


@pytest.fixture
def tmp_media(settings, tmp_path):
    """Uploaded files of this test in its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def operator(client, django_user_model):
    """A superuser signed in on `client` (modules may define their own operator)."""
    user = django_user_model.objects.create_superuser(username="op", password="x", email="op@example.vn")
    client.force_login(user)
    return user


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
