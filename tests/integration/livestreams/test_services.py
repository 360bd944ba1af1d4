"""On PostgreSQL (threads racing for a capped featured SKU) and with a real Celery worker process
on Redis sending reminders (run by .ci/run; skipped elsewhere)."""
import threading
from collections import Counter

import pytest
from django.db import connection, connections
from django.db.models import Sum

from marketplace import celery_app
from marketplace.catalog.models import Stock
from marketplace.livestreams import services, tasks
from marketplace.livestreams.models import LiveSale, OccurrenceHold, ReminderSent
from marketplace.orders import services as orders
from tests.celery_worker import wait_for

from .conftest import confirm_subscriptions, local_in, open_window

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONES, TRIES_PER_PHONE, CAP, PER_BUYER = 8, 4, 7, 2


def test_threads_racing_never_exceed_the_cap_or_the_per_buyer_limit(plan, sku):
    assert connection.vendor == "postgresql"
    session = plan(featured=[services.FeaturedData(sku_id=sku.pk, live_price_vnd=99000, cap_total=CAP, cap_per_buyer=PER_BUYER)])
    occurrence = open_window(session.occurrences.get())  # no beat: the first checkouts race to place the hold too
    start = threading.Barrier(PHONES * TRIES_PER_PHONE)
    outcomes, record = [], threading.Lock()

    def buy(n: int) -> None:
        phone = f"09120000{n % PHONES:02d}"
        try:
            start.wait(timeout=60)
            checkout = orders.checkout_place(
                lines=[(sku.pk, 1)], buyer=orders.BuyerData(name=f"Người mua {n}", phone=phone, consent=True),
                delivery=orders.DeliveryData(commune_code="02923", address_line=f"Nhà {n}"), payment_method="cod")
            price = checkout.orders.get().lines.get().unit_price_vnd
            outcome = "live" if price == 99000 else "normal"
        except orders.CheckoutError:
            outcome = "refused"
        except Exception as error:  # noqa: BLE001 - any other failure must show in the assertion
            outcome = repr(error)
        finally:
            connections.close_all()
        with record:
            outcomes.append(outcome)

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(PHONES * TRIES_PER_PHONE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert set(outcomes) <= {"live", "normal", "refused"}, outcomes
    live = LiveSale.objects.filter(at_live_price=True)
    assert outcomes.count("live") == live.aggregate(n=Sum("quantity"))["n"] == CAP
    per_phone = Counter(sale.order.checkout.phone.as_e164 for sale in live.select_related("order__checkout"))
    assert max(per_phone.values()) <= PER_BUYER
    hold = OccurrenceHold.objects.get(occurrence=occurrence)
    assert (hold.held, hold.sold) == (CAP, CAP)
    stock = Stock.objects.get(sku=sku)
    assert stock.reserved == CAP + outcomes.count("normal") and stock.on_hand == 20


@pytest.fixture
def mail_log(tmp_path, monkeypatch):
    path = tmp_path / "mail.log"
    path.touch()
    monkeypatch.setenv("LIVESTREAM_MAIL_LOG", str(path))
    monkeypatch.setenv("EMAIL_BACKEND", "tests.integration.livestreams.mail_backend.LineLogBackend")
    monkeypatch.setenv("LIVESTREAM_REMINDER_BATCH", "25")
    return path


def test_a_real_worker_sends_each_reminder_once(plan, mail_log, worker):
    start = local_in(hours=23)
    session = plan(starts_local=start, ends_local=local_in(hours=24))
    for n in range(60):
        services.subscription_create(email=f"khach{n}@example.vn", session=session)
    confirm_subscriptions()
    celery_app.conf.task_always_eager = False
    try:
        tasks.reminders_dispatch.delay()
        tasks.reminders_dispatch.delay()  # beat fired twice
    finally:
        celery_app.conf.task_always_eager = True
    assert wait_for(lambda: ReminderSent.objects.filter(sent_at__isnull=False).count() == 60, worker)
    assert wait_for(lambda: len(mail_log.read_text().splitlines()) >= 60, worker, seconds=10)
    lines = mail_log.read_text().splitlines()
    assert len(lines) == 60 and len({line.split("\t")[0] for line in lines}) == 60
