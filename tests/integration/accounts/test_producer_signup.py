"""Producer sign-up resists abuse: a code to the phone before anything reaches the editor,
codes limited per address and phone, safe usernames, and no answer that tells which usernames
exist."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.test import Client

from marketplace.catalog.models import Producer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL, VERIFY = "/dang-ky-nha-san-xuat/", "/dang-ky-nha-san-xuat/xac-minh/"
GOOD = {"name": "Hộ kinh doanh Măng rừng", "kind": "household", "phone": "0912 345 678", "tax_code": "",
        "address": "Thôn 3", "commune_code": "02923", "username": "mangrung", "password": "Mang-rung-2025!", "consent": "on"}


def _start(client: Client, ip: str = "203.0.113.10", **changes):
    return client.post(URL, {**GOOD, **changes}, REMOTE_ADDR=ip)


def _code() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def test_nothing_reaches_the_editor_until_the_phone_code_is_entered(client, settings):
    response = _start(client)
    assert response.status_code == 302 and response["Location"] == VERIFY
    assert not Producer.objects.exists() and not get_user_model().objects.filter(username="mangrung").exists()
    message = mail.outbox[-1]
    assert message.to == [settings.PHONE_MESSAGES_EMAIL] and "+84912345678" in message.body
    page = client.get(VERIFY).content.decode()
    assert "+84912345678" in page

    response = client.post(VERIFY, {"code": _code()})
    assert response.status_code == 200 and "Đã nhận đăng ký" in response.content.decode()
    producer = Producer.objects.get(name=GOOD["name"])
    assert producer.status == Producer.Status.PENDING and producer.privacy_consent_at
    assert str(producer.phone) == "+84912345678" and producer.commune.code == "02923"
    assert producer.users.get().username == "mangrung" and producer.users.get().check_password(GOOD["password"])


def test_the_code_is_kept_hashed_works_once_and_only_from_this_session(client):
    _start(client)
    code = _code()
    stored = cache.get("phonecode:" + client.session["producer_signup_challenge"])
    assert stored["phone"] == "+84912345678" and code not in str(stored) and GOOD["password"] not in str(stored)
    assert Client().post(VERIFY, {"code": code}).status_code == 400  # another browser has no challenge
    assert client.post(VERIFY, {"code": code}).status_code == 200
    assert client.post(VERIFY, {"code": code}).status_code == 400  # used up
    assert Producer.objects.count() == 1


def test_wrong_codes_are_limited_then_even_the_right_one_fails(client, settings):
    _start(client)
    code = _code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(settings.PHONE_CODE_MAX_ATTEMPTS):
        response = client.post(VERIFY, {"code": wrong})
        assert response.status_code == 400
    assert "Mã xác minh không đúng hoặc đã hết hạn." in response.content.decode()
    assert client.post(VERIFY, {"code": code}).status_code == 400
    assert not Producer.objects.exists()


def test_an_expired_code_is_refused(client, settings):
    settings.PHONE_CODE_MINUTES = 0  # the cache forgets it at once
    _start(client)
    response = client.post(VERIFY, {"code": _code()})
    assert response.status_code == 400 and "Vui lòng đăng ký lại" in response.content.decode()
    assert not Producer.objects.exists()


def test_codes_are_limited_per_phone_number(settings):
    for n in range(settings.SIGNUP_CODES_PER_PHONE_PER_HOUR):
        assert _start(Client(), ip=f"198.51.100.{n}").status_code == 302
    response = _start(Client(), ip="198.51.100.200")
    assert response.status_code == 429 and "quá nhiều mã xác minh" in response.content.decode()
    assert len(mail.outbox) == settings.SIGNUP_CODES_PER_PHONE_PER_HOUR


def test_codes_are_limited_per_address(settings):
    for n in range(settings.SIGNUP_CODES_PER_IP_PER_HOUR):
        assert _start(Client(), phone=f"09123456{n:02d}").status_code == 302
    assert _start(Client(), phone="0987654321").status_code == 429
    assert _start(Client(), ip="203.0.113.11", phone="0987654321").status_code == 302


def test_the_form_does_not_tell_whether_a_username_exists(client):
    UserFactory(username="mangrung")
    taken, free = _start(Client(), username="mangrung"), _start(Client(), username="mangrung2", phone="0987654321")
    assert (taken.status_code, taken["Location"]) == (free.status_code, free["Location"]) == (302, VERIFY)
    # Only someone who proves the phone learns it, and must sign up again under another name.
    client.post(URL, {**GOOD, "username": "mangrung"}, REMOTE_ADDR="203.0.113.12")
    response = client.post(VERIFY, {"code": _code()})
    assert response.status_code == 400 and "tên đăng nhập này không dùng được" in response.content.decode()
    assert not Producer.objects.exists()


@pytest.mark.parametrize("username", [
    "nѕx.moi",  # Cyrillic ѕ
    "nsx.mοi",  # Greek ο
    "<b>nsx</b>",
    "nsx\"onmouseover=x",
    "nsx😀",
    "nguyễn.văn",  # Vietnamese letters: see accounts.usernames
    "nsx moi",
    "nsx\u200bmoi",  # zero-width space
    "ab",
    ".nsx",
])
def test_unsafe_usernames_are_refused(client, username):
    response = _start(client, username=username)
    assert response.status_code == 400
    assert "Tên đăng nhập dài 3–30 ký tự" in response.content.decode()
    assert not mail.outbox


def test_usernames_are_nfkc_normalised_and_lower_cased(client):
    _start(client, username="ＮＳＸ.Mang_Rung-1")  # full-width letters
    client.post(VERIFY, {"code": _code()})
    assert Producer.objects.get().users.get().username == "nsx.mang_rung-1"
