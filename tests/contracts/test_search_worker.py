"""On PostgreSQL with a real Celery worker on Redis (run by .ci/run): a publish reaches the
index through transaction.on_commit → Celery → the worker, within seconds."""
import pytest

from marketplace import celery_app
from search.backends.base import SearchQuery
from search.services import search_products
from tests.celery_worker import wait_for

# serialized_rollback: the flush after a transactional test also empties what data migrations
# loaded (admin units, home page); restore it for the tests that follow.
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


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
