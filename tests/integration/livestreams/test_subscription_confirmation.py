"""Reminder sign-ups are confirmed by a signed link e-mailed to the address (double opt-in), and
an unsubscribe cannot be undone by an anonymous POST of the sign-up form."""
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from marketplace.livestreams import services
from marketplace.livestreams.models import Subscription
from marketplace.livestreams.services.reminders import kind_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def occurrence(plan):
    return plan().occurrences.get()


def _ask(client, occurrence, email="lan@example.vn", scope="session", ip="203.0.113.20"):
    return client.post(reverse("livestreams:occurrence", args=[occurrence.pk]), {"email": email, "scope": scope},
                       REMOTE_ADDR=ip, follow=True)


def _confirm_link() -> str:
    return re.search(r"https?://\S+(/livestream/xac-nhan-nhac-lich/\S+/)", mail.outbox[-1].body).group(1)


def _reminders(occurrence) -> int:
    mail.outbox.clear()
    return services.reminders_send(occurrence_id=occurrence.pk, kind=kind_for(1440), scheduled_start=occurrence.starts_at)


def test_reminders_wait_for_the_confirmation_link(client, occurrence):
    page = _ask(client, occurrence).content.decode()
    assert "bấm liên kết xác nhận" in page
    subscription = Subscription.objects.get()
    assert subscription.confirmed_at is None
    message = mail.outbox[-1]
    assert message.to == ["lan@example.vn"] and "Chợ phiên Gia Phú online" in message.subject
    link = _confirm_link()
    assert _reminders(occurrence) == 0 and mail.outbox == []

    assert client.get(link).status_code == 200  # GET only asks (mail scanners follow links)
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None
    assert "Đã xác nhận" in client.post(link).content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None
    assert _reminders(occurrence) == 1 and mail.outbox[0].to == ["lan@example.vn"]


def test_an_anonymous_post_does_not_undo_an_unsubscribe(client, occurrence):
    _ask(client, occurrence)
    old_link = _confirm_link()
    client.post(old_link)
    subscription = Subscription.objects.get()
    client.post(reverse("livestreams:unsubscribe", args=[subscription.token]))

    Subscription.objects.update(confirmation_sent_at=None)  # past the resend pause
    _ask(Client(), occurrence, ip="198.51.100.30")  # someone else re-enters the address
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None
    assert _reminders(occurrence) == 0
    # A link sent before the unsubscribe no longer subscribes again.
    assert client.post(old_link).status_code == 400
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None


def test_the_owner_subscribes_again_through_a_new_link(client, occurrence):
    _ask(client, occurrence)
    client.post(_confirm_link())
    subscription = Subscription.objects.get()
    client.post(reverse("livestreams:unsubscribe", args=[subscription.token]))
    Subscription.objects.update(confirmation_sent_at=None)
    _ask(client, occurrence)
    client.post(_confirm_link())
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is None
    assert _reminders(occurrence) == 1


def test_a_forged_or_altered_link_is_refused(client, occurrence):
    _ask(client, occurrence)
    link = _confirm_link()
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged = link.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert client.post(forged).status_code == 400
    assert client.post(reverse("livestreams:confirm", args=["khong-hop-le"])).status_code == 400
    assert Subscription.objects.get().confirmed_at is None


def test_the_page_says_the_same_whatever_the_address_state(client, occurrence):
    fresh = _ask(Client(), occurrence, email="moi@example.vn").content.decode()
    _ask(Client(), occurrence, email="cu@example.vn")
    Client().post(_confirm_link())
    again = _ask(Client(), occurrence, email="cu@example.vn").content.decode()
    strip = lambda html: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)  # noqa: E731
    assert strip(fresh) == strip(again)


def test_confirmation_mails_are_limited_per_address_and_per_client(client, occurrence, settings):
    for _ in range(3):
        _ask(client, occurrence, email="nan-nhan@example.vn")
    assert len(mail.outbox) == 1  # one link at a time to the same address
    settings.LIVESTREAM_SUBSCRIBE_PER_IP_PER_HOUR = 5
    for n in range(2):
        _ask(client, occurrence, email=f"khac{n}@example.vn")
    response = _ask(client, occurrence, email="them@example.vn")
    assert response.status_code == 400 and "quá nhiều lần" in response.content.decode()
    assert not Subscription.objects.filter(email="them@example.vn").exists()
