"""Order notifications: the buyer's confirmation with the private link, "Đơn hàng mới" to the
producer (at placement for COD, on payment for card/transfer), shipped and cancelled mails,
and no message sent twice when a task runs again."""
from __future__ import annotations

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from marketplace.orders import services, tasks
from marketplace.orders.models import NotificationLog, Order, PaymentMethod


pytestmark = pytest.mark.django_db
F, P = Order.Fulfilment, Order.Payment


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")


def by_recipient(outbox) -> dict[str, list]:
    found: dict[str, list] = {}
    for message in outbox:
        for to in message.to:
            found.setdefault(to, []).append(message)
    return found


def test_a_cod_checkout_mails_the_buyer_and_each_producer_user(world, emails, place, mailoutbox,
                                                                django_capture_on_commit_callbacks, settings):
    settings.SITE_BASE_URL = settings.WAGTAILADMIN_BASE_URL = "https://cho-ocop.example.vn"
    with django_capture_on_commit_callbacks(execute=True):
        orders = place(quantity=2)
    checkout = orders["checkout"]
    sent = by_recipient(mailoutbox)
    assert set(sent) == {"binh@example.vn"} | emails["p1"] | emails["p2"]
    assert all(len(messages) == 1 for messages in sent.values())

    buyer = sent["binh@example.vn"][0]
    assert buyer.subject == f"Chợ OCOP: đã nhận đơn hàng {checkout.reference}"
    assert f"https://cho-ocop.example.vn/don-hang/{checkout.access_token}/" in buyer.body
    for text in ("Trần Văn Bình", world.p1_page.producer.name, world.p2_page.producer.name, "200.000 ₫",
                 checkout.get_payment_method_display(), "Thôn Cóc 2, nhà số 14"):
        assert text in buyer.body, text

    producer = sent["nsx.p1@example.vn"][0]
    assert producer.subject == f"Đơn hàng mới {checkout.reference}"
    assert f"https://cho-ocop.example.vn/admin/orders/{orders['p1'].pk}/" in producer.body
    assert world.p1_sku.code in producer.body and "2 × 100.000 ₫ = 200.000 ₫" in producer.body
    assert world.p2_sku.code not in producer.body and "0987 654 321" in producer.body
    assert "&#x27;" not in producer.body and "&amp;" not in producer.body


def test_no_email_no_buyer_message(world, emails, place, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        place(buyer=services.BuyerData(name="Lê Thị Hoa", phone="0912345678", consent=True))
    assert set(by_recipient(mailoutbox)) == emails["p1"] | emails["p2"]


def test_a_transfer_order_tells_the_producer_when_paid(world, emails, place, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        orders = place(method=PaymentMethod.TRANSFER)
    assert set(by_recipient(mailoutbox)) == {"binh@example.vn"}
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.order_transition(order=orders["p1"], field="payment", to=P.PAID)
    assert set(by_recipient(mailoutbox)) == emails["p1"]
    assert all(m.subject.startswith("Đơn hàng mới") for m in mailoutbox)


def test_the_buyer_hears_when_an_order_ships_or_is_cancelled(world, place, mailoutbox, django_capture_on_commit_callbacks):
    orders = place()
    with django_capture_on_commit_callbacks(execute=True):
        services.order_transition(order=orders["p1"], field="fulfilment", to=F.CONFIRMED)
        services.order_transition(order=orders["p1"], field="fulfilment", to=F.SHIPPED)
        services.order_transition(order=orders["p2"], field="fulfilment", to=F.CANCELLED, note="Sen đã hết mùa")
    shipped, cancelled = mailoutbox
    ref = orders["checkout"].reference
    assert shipped.to == ["binh@example.vn"] and shipped.subject == f"Đơn hàng {ref}: {world.p1_page.producer.name} đã gửi hàng"
    assert "115.000 ₫" in shipped.body  # COD: the amount to have ready
    assert cancelled.subject.startswith(f"Đơn hàng {ref}: phần hàng của {world.p2_page.producer.name}")
    assert "Lý do: Sen đã hết mùa" in cancelled.body and orders["checkout"].access_token in cancelled.body


def test_a_task_run_again_sends_nothing_twice(world, emails, place, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        orders = place()
    count = len(mailoutbox)
    assert count == 1 + 3
    assert tasks.checkout_placed_notify.apply(args=[orders["checkout"].pk]).get() == 0
    assert tasks.order_paid_notify.apply(args=[orders["p1"].pk]).get() == 0  # COD: told at placement already
    assert len(mailoutbox) == count
    assert NotificationLog.objects.filter(checkout=orders["checkout"]).count() == count


def test_a_failed_send_is_retried_and_only_the_missing_messages_go(world, emails, place, settings,
                                                                    django_capture_on_commit_callbacks):
    orders = place()
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    from marketplace.orders import notices

    with pytest.raises(notices.NotificationFailed):
        notices.checkout_placed_notify(checkout_id=orders["checkout"].pk)
    assert not NotificationLog.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    assert notices.checkout_placed_notify(checkout_id=orders["checkout"].pk) == 4
    assert notices.checkout_placed_notify(checkout_id=orders["checkout"].pk) == 0
    assert len(mail.outbox) == 4
