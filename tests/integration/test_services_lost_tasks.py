"""The issue's scenario on a real worker (PostgreSQL; Redis and the embedded filesystem broker):
a worker is killed with kill -9 in the middle of sending a notification, with index updates and
further notifications waiting; whatever the broker then still holds is dropped as well (the
filesystem broker forgets every message a worker has taken). A new worker and the sweeps send
every notification exactly once and apply every index update."""
from __future__ import annotations

import contextlib
import os

import pytest
from django.db import connection, transaction
from kombu import pools

from marketplace import celery_app, notifications
from marketplace.catalog import services as catalog
from marketplace.notifications import tasks as notice_tasks
from marketplace.notifications.models import Notification
from search import tasks as search_tasks
from search.models import IndexOutbox, SearchDocument
from tests import celery_worker, mailbox
from tests.celery_worker import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
CONTEXT = {"commune": "Gia Phú", "province": "Lào Cai", "month": "05/2026", "write_url": "https://x.vn/", "name": "Bình"}


@pytest.fixture(params=["redis", "filesystem"])
def broker(request, tmp_path) -> dict:
    """The producer's URL and transport options, and the worker's environment."""
    if request.param == "redis":
        return {"url": os.environ["CELERY_BROKER_URL"], "options": {"visibility_timeout": 7200}, "env": {}}
    folder = tmp_path / "broker"
    options = {"data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue"),
               "processed_folder": str(folder / "processed"), "control_folder": str(folder / "control"),
               "store_processed": False}
    for key in ("data_folder_in", "processed_folder", "control_folder"):
        os.makedirs(options[key], exist_ok=True)
    return {"url": "filesystem://", "options": options,
            "env": {"CELERY_BROKER_URL": "filesystem://", "CELERY_BROKER_DIR": str(folder)}}


def _reset_pools() -> None:
    pools.reset()  # connections are pooled per broker: drop them all, then the app's handles on them
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def producing_to(broker: dict):
    """This process enqueues (not eager) onto the broker the workers use."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_transport_options, conf.task_always_eager, os.environ.get("CELERY_BROKER_URL")
    _reset_pools()
    # Celery reads CELERY_BROKER_URL from the environment before its configuration.
    os.environ["CELERY_BROKER_URL"] = broker["url"]
    conf.broker_url, conf.broker_transport_options, conf.task_always_eager = broker["url"], broker["options"], False
    try:
        celery_app.control.purge()  # nothing left over from earlier tests
        yield
    finally:
        _reset_pools()
        conf.broker_url, conf.broker_transport_options, conf.task_always_eager, url = saved
        if url is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = url


def queue(address: str) -> None:
    with transaction.atomic():
        notifications.queue(key=f"test:{address}", recipient=notifications.Recipient(email=address),
                            template="news_promotion_reminder", context=CONTEXT)


def test_a_worker_killed_mid_task_loses_nothing_and_sends_nothing_twice(broker, make_listing, settings, tmp_path):
    assert connection.vendor == "postgresql"
    settings.NOTIFICATIONS_SWEEP_AFTER_SECONDS = 0  # rows are due for the sweep at once
    skus = [make_listing(stock=5).product.skus.get() for _ in range(2)]  # indexed eagerly, here
    assert [SearchDocument.objects.get(pk=sku.product_id).stock for sku in skus] == [5, 5]
    assert not IndexOutbox.objects.exists()
    box = tmp_path / "mailbox.txt"
    env = {"EMAIL_BACKEND": "tests.mailbox.Backend", "TEST_MAILBOX": str(box), **broker["env"]}
    addresses = ["mot@example.vn", "hai@example.vn", "ba@example.vn"]

    with producing_to(broker):
        first = celery_worker.start(TEST_MAIL_DELAY_SECONDS="120", **env)
        try:
            queue(addresses[0])
            assert wait_for(lambda: mailbox.lines(box, "BEGIN") == addresses[:1], first, seconds=90)
            for sku in skus:  # two index updates and two more notifications wait behind it
                catalog.stock_adjust(sku_id=sku.pk, delta=-2)
            for address in addresses[1:]:
                queue(address)
        finally:
            celery_worker.kill(first)
        celery_app.control.purge()  # the worst case: no message survives
        assert not mailbox.lines(box, "SENT")
        assert Notification.objects.filter(status="pending").count() == 3 and IndexOutbox.objects.count() == 2

        second = celery_worker.start(SEARCH_OUTBOX_SWEEP_AFTER_SECONDS="0", **env)
        try:
            notice_tasks.sweep.delay()  # what beat does every minute
            search_tasks.sweep.delay()

            def done() -> bool:
                stocks = [SearchDocument.objects.get(pk=sku.product_id).stock for sku in skus]
                return sorted(mailbox.lines(box, "SENT")) == sorted(addresses) and stocks == [3, 3]

            assert wait_for(done, second, seconds=90)
            # Another round of sweeps and a redelivered send of each message find nothing to do;
            # a last message queued behind them shows the worker has got through them (FIFO).
            notice_tasks.sweep.delay()
            search_tasks.sweep.delay()
            for row in Notification.objects.all():
                notice_tasks.send.delay(row.pk)
            queue("cuoi@example.vn")
            assert wait_for(lambda: "cuoi@example.vn" in mailbox.lines(box, "SENT"), second, seconds=60)
        finally:
            second.terminate()
            second.wait(timeout=20)
    assert sorted(mailbox.lines(box, "SENT")) == sorted([*addresses, "cuoi@example.vn"])  # each exactly once
    assert mailbox.lines(box, "BEGIN").count(addresses[0]) == 2  # the killed worker had begun the first
    assert not IndexOutbox.objects.exists() and Notification.objects.filter(status="sent").count() == 4
