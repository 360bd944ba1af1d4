"""Work that must survive a lost task: search changes and notifications have durable rows, the
tasks clear them, and the beat sweep applies (or sends) what a lost task left behind — once."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from marketplace import celery_app, notifications
from marketplace.catalog import services as catalog
from marketplace.notifications import services as notices
from marketplace.notifications.models import Notification
from search.models import IndexOutbox, SearchDocument
from search.outbox import search_outbox_apply, search_outbox_record, search_outbox_sweep

pytestmark = pytest.mark.django_db
BUYER = notifications.Recipient(name="Trần Văn Bình", email="binh@example.vn")


def after(seconds: int, **extra) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds + 1, **extra)


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")


# --- settings ---

def test_tasks_are_acknowledged_late_and_come_back_when_their_worker_is_lost(settings):
    conf = celery_app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
    assert {"search-outbox-sweep", "notifications-sweep"} <= set(settings.CELERY_BEAT_SCHEDULE)


def test_redis_keeps_an_unacknowledged_message_longer_than_any_retry_countdown():
    from marketplace.orders.tasks import NOTIFY_OPTIONS
    from search.tasks import RETRY

    code = "from django.conf import settings; print(settings.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'])"
    result = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], capture_output=True, text=True,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
                                 "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15"}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) > max(NOTIFY_OPTIONS["retry_backoff_max"], RETRY["retry_backoff_max"])


# --- search outbox ---

def test_a_catalogue_change_records_its_outbox_row_in_its_own_transaction(make_listing):
    sku = make_listing().product.skus.get()
    IndexOutbox.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        catalog.stock_adjust(sku_id=sku.pk, delta=-1)
        raise RuntimeError("the checkout failed")
    assert not IndexOutbox.objects.exists()  # rolled back with the change
    catalog.stock_adjust(sku_id=sku.pk, delta=-1)
    catalog.stock_adjust(sku_id=sku.pk, delta=-1)
    assert list(IndexOutbox.objects.values_list("kind", "ref")) == [("sku", sku.pk)]  # one row per SKU


def test_index_updates_whose_task_was_lost_are_applied_by_the_sweep(make_listing, settings):
    # In these tests the after-commit tasks never run: as if the worker had died holding them.
    page = make_listing(stock=7)
    product_id = page.product_id
    assert not SearchDocument.objects.filter(pk=product_id).exists()
    assert IndexOutbox.objects.filter(kind="product", ref=product_id).exists()
    assert search_outbox_sweep() == 0  # still with its task
    assert search_outbox_sweep(now=after(settings.SEARCH_OUTBOX_SWEEP_AFTER_SECONDS)) >= 1
    assert SearchDocument.objects.get(pk=product_id).stock == 7
    assert not IndexOutbox.objects.exists()

    catalog.stock_adjust(sku_id=page.product.skus.get().pk, delta=-2)
    assert search_outbox_sweep(now=after(settings.SEARCH_OUTBOX_SWEEP_AFTER_SECONDS)) == 1
    assert SearchDocument.objects.get(pk=product_id).stock == 5

    catalog.product_unpublish(product_ids=[product_id])
    assert search_outbox_sweep(now=after(settings.SEARCH_OUTBOX_SWEEP_AFTER_SECONDS)) == 1
    assert not SearchDocument.objects.filter(pk=product_id).exists() and not IndexOutbox.objects.exists()


def test_the_task_clears_its_rows_and_running_it_again_finds_nothing(make_listing, django_capture_on_commit_callbacks):
    from search import tasks

    with django_capture_on_commit_callbacks(execute=True):
        page = make_listing(stock=3)
    assert SearchDocument.objects.get(pk=page.product_id).stock == 3
    assert not IndexOutbox.objects.exists()
    assert tasks.index_skus.apply(args=[[page.product.skus.get().pk]]).get() == 1  # a redelivered message: harmless
    assert tasks.sweep.apply().get() == 0


def test_a_change_made_while_its_row_is_applied_keeps_the_row(make_listing, monkeypatch):
    page = make_listing()
    from search import services

    real = services.search_index_products

    def index_then_change(*, product_ids):
        real(product_ids=product_ids)
        search_outbox_record(kind="product", refs=[page.product_id])  # a change committed meanwhile

    monkeypatch.setattr(services, "search_index_products", index_then_change)
    search_outbox_apply(kind="product", refs=[page.product_id])
    assert IndexOutbox.objects.filter(kind="product", ref=page.product_id).exists()


# --- notifications ---

def test_a_queued_message_is_recorded_once_and_sent_after_commit(mailoutbox, django_capture_on_commit_callbacks):
    context = {"commune": "Gia Phú", "province": "Lào Cai", "month": "05/2026", "write_url": "https://x.vn/", "name": "Bình"}
    with django_capture_on_commit_callbacks(execute=True):
        first = notifications.queue(key="test:1", recipient=BUYER, template="news_promotion_reminder", context=context)
        again = notifications.queue(key="test:1", recipient=BUYER, template="news_promotion_reminder", context=context)
    assert first.pk == again.pk and len(mailoutbox) == 1 and mailoutbox[0].to == ["binh@example.vn"]
    row = Notification.objects.get()
    assert (row.status, row.attempts, row.channel, row.recipient) == ("sent", 1, "email", "binh@example.vn")
    assert row.sent_at and row.subject == mailoutbox[0].subject
    assert notices.notification_send(notification_id=row.pk) is False  # a second task: nothing to do
    assert notifications.queue(key="test:2", recipient=notifications.Recipient(name="không e-mail"),
                               template="news_promotion_reminder", context=context) is None


def test_a_failed_send_is_retried_by_the_sweep_after_a_back_off_then_given_up(mailoutbox, settings,
                                                                              django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    context = {"commune": "Gia Phú", "province": "Lào Cai", "month": "05/2026", "write_url": "https://x.vn/", "name": "Bình"}
    with django_capture_on_commit_callbacks(execute=True):
        notifications.queue(key="test:fail", recipient=BUYER, template="news_promotion_reminder", context=context)
    row = Notification.objects.get()
    assert (row.status, row.attempts) == ("pending", 1) and "SMTP server down" in row.last_error
    assert row.due_at > timezone.now() + dt.timedelta(seconds=settings.NOTIFICATIONS_RETRY_BASE_SECONDS - 5)
    assert notices.notifications_sweep() == 0  # not due yet
    assert notices.notifications_sweep(now=after(settings.NOTIFICATIONS_RETRY_MAX_SECONDS)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 2) and not mailoutbox
    assert notices.notifications_sweep(now=after(settings.NOTIFICATIONS_RETRY_MAX_SECONDS, days=1)) == 0


def test_notify_takes_one_channel_by_name(mailoutbox):
    context = {"commune": "Gia Phú", "province": "Lào Cai", "month": "05/2026", "write_url": "https://x.vn/", "name": "Bình"}
    sent = notifications.notify(channel="email", recipient=BUYER, template="news_promotion_reminder", context=context)
    assert sent == ["email"]
    assert len(mailoutbox) == 1


def test_a_lost_full_refresh_is_applied_by_the_sweep_and_clears_the_older_rows(make_listing, settings):
    from marketplace.catalog import signals

    page = make_listing()  # its product row waits too
    signals.catalog_changed.send(sender=None, product_ids=[])  # a category renamed: every product may differ
    assert IndexOutbox.objects.filter(kind="all").exists()
    assert search_outbox_sweep(now=after(settings.SEARCH_OUTBOX_SWEEP_AFTER_SECONDS)) >= 1
    assert SearchDocument.objects.filter(pk=page.product_id).exists() and not IndexOutbox.objects.exists()
