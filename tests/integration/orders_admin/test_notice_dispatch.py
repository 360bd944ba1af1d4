"""An order notice task lost with its worker (the embedded broker forgets a message once handed
out), or never enqueued because the web process died right after its commit, is not lost: its
dispatch row, written in the transaction of the order change, brings it back with the sweep,
and what was sent is not sent again."""
from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from marketplace.notifications import services as notices
from marketplace.notifications.models import Dispatch
from marketplace.orders import handling, services, tasks
from marketplace.orders.models import Order, PaymentMethod
from marketplace.payments import services as payments

pytestmark = pytest.mark.django_db


def later(settings, **extra) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=settings.NOTIFICATIONS_SWEEP_AFTER_SECONDS + 1, **extra)


def test_a_lost_checkout_notice_is_sent_by_the_sweep_exactly_once(world, emails, place, mailoutbox, monkeypatch,
                                                                  django_capture_on_commit_callbacks, settings):
    real = tasks.checkout_placed_notify.apply_async
    monkeypatch.setattr(tasks.checkout_placed_notify, "apply_async", lambda *args, **kwargs: None)  # the message is lost
    with django_capture_on_commit_callbacks(execute=True):
        orders = place()
    assert not mailoutbox
    row = Dispatch.objects.get()
    assert (row.key, row.task, row.args) == (f"orders:checkout:{orders['checkout'].pk}:placed",
                                             "marketplace.orders.tasks.checkout_placed_notify", [orders["checkout"].pk])

    monkeypatch.setattr(tasks.checkout_placed_notify, "apply_async", real)
    assert notices.dispatches_sweep() == 0  # not yet presumed lost
    assert notices.dispatches_sweep(now=later(settings)) == 1
    recipients = sorted(to for message in mailoutbox for to in message.to)
    assert recipients == sorted({"binh@example.vn"} | emails["p1"] | emails["p2"])
    assert not Dispatch.objects.exists()

    # The original message delivered late (Redis after its visibility timeout) sends nothing.
    assert tasks.checkout_placed_notify.apply(args=[orders["checkout"].pk], kwargs={"dispatch_key": row.key}).get() == 0
    assert notices.dispatches_sweep(now=later(settings, hours=1)) == 0
    assert len(mailoutbox) == len(recipients)


def test_a_notice_that_keeps_failing_is_left_for_a_person_after_the_last_attempt(world, place, monkeypatch,
                                                                                 django_capture_on_commit_callbacks, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    monkeypatch.setattr(tasks.checkout_placed_notify, "apply_async", lambda *args, **kwargs: None)
    with django_capture_on_commit_callbacks(execute=True):
        place()
    at = later(settings)
    assert notices.dispatches_sweep(now=at) == 1
    assert notices.dispatches_sweep(now=at + dt.timedelta(days=1)) == 1
    assert notices.dispatches_sweep(now=at + dt.timedelta(days=2)) == 0
    assert Dispatch.objects.get().attempts == 2


# A web process that dies right after its commit never runs the commit callbacks: the notice's
# task is never enqueued. The dispatch row committed with the change; the sweep sends it once.
@pytest.fixture
def dies_after_commit(django_capture_on_commit_callbacks):
    @contextlib.contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            yield
        assert callbacks  # there was an enqueue to lose

    return run


def swept_twice(settings) -> None:
    assert notices.dispatches_sweep(now=later(settings)) >= 1
    assert not Dispatch.objects.exists()  # each task finished and cleared its row
    assert notices.dispatches_sweep(now=later(settings, hours=1)) == 0


def test_checkout_notices_survive_a_process_dying_right_after_the_commit(world, emails, place, mailoutbox,
                                                                         dies_after_commit, settings):
    with dies_after_commit():
        orders = place()
    assert not mailoutbox
    assert list(Dispatch.objects.values_list("key", flat=True)) == [f"orders:checkout:{orders['checkout'].pk}:placed"]
    swept_twice(settings)
    recipients = [to for message in mailoutbox for to in message.to]
    assert sorted(recipients) == sorted({"binh@example.vn"} | emails["p1"] | emails["p2"])  # each once


def test_the_producers_paid_notice_survives_a_process_dying_after_the_payment_commit(world, emails, place, mailoutbox,
                                                                                     dies_after_commit, settings,
                                                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        orders = place(method=PaymentMethod.TRANSFER)
    mailoutbox.clear()
    payment = payments.payment_for_checkout(checkout=orders["checkout"])
    with dies_after_commit():
        payments.payment_receive(payment=payment, amount_vnd=payment.amount_vnd)
    assert sorted(Dispatch.objects.values_list("key", flat=True)) == sorted(
        f"orders:order:{orders[p].pk}:paid" for p in ("p1", "p2"))
    swept_twice(settings)
    recipients = [to for message in mailoutbox for to in message.to]
    assert sorted(recipients) == sorted(emails["p1"] | emails["p2"])
    assert all(message.subject.startswith("Đơn hàng mới") for message in mailoutbox)


def test_shipped_and_cancelled_notices_survive_a_process_dying_after_the_commit(world, place, mailoutbox,
                                                                                dies_after_commit, settings):
    orders = place()
    services.order_transition(order=orders["p1"], field="fulfilment", to=Order.Fulfilment.CONFIRMED)
    with dies_after_commit():
        services.order_transition(order=orders["p1"], field="fulfilment", to=Order.Fulfilment.SHIPPED)
    with dies_after_commit():
        handling.order_cancel(order=orders["p2"], reason="Sen đã hết mùa")
    assert sorted(Dispatch.objects.values_list("key", flat=True)) == sorted([
        f"orders:checkout:{orders['checkout'].pk}:placed", f"orders:order:{orders['p1'].pk}:shipped",
        f"orders:order:{orders['p2'].pk}:cancelled"])
    Dispatch.objects.filter(key__startswith="orders:checkout:").delete()  # not under test here
    swept_twice(settings)
    assert [message.to for message in mailoutbox] == [["binh@example.vn"], ["binh@example.vn"]]
    ref = orders["checkout"].reference
    shipped = f"Đơn hàng {ref}: {world.p1_page.producer.name} đã gửi hàng"
    cancelled = f"Đơn hàng {ref}: phần hàng của {world.p2_page.producer.name}"
    assert sum(m.subject == shipped for m in mailoutbox) == 1
    assert sum(m.subject.startswith(cancelled) for m in mailoutbox) == 1


def test_a_change_rolled_back_records_no_notice(world, place, django_capture_on_commit_callbacks):
    orders = place()
    Dispatch.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.order_transition(order=orders["p1"], field="fulfilment", to=Order.Fulfilment.CANCELLED, note="thử")
        raise RuntimeError("the caller's transaction fails after the transition")
    assert not Dispatch.objects.exists()
