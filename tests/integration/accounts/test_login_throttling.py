"""Login throttling on the Wagtail admin login (the project's only login form): a username is
locked after a few failures from anywhere, an address after a few failures on any usernames,
with a Vietnamese page; an operator unlocks from the admin."""
import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client

from marketplace.accounts.lockouts import lockouts_active
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "mat-khau-an-toan-123"
LOGIN = "/admin/login/"


def _login(client: Client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_many_wrong_passwords_lock_the_username_even_for_the_right_one(settings):
    UserFactory(username="bientap", is_staff=True, is_superuser=True)
    client = Client()
    answers = [_login(client, "bientap", f"sai-{n}", ip=f"198.51.100.{n}").status_code for n in range(50)]
    assert answers[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)  # the form again
    assert set(answers[settings.AXES_FAILURE_LIMIT:]) == {429}  # from any address, the username is locked
    response = _login(client, "bientap", PASSWORD, ip="192.0.2.99")
    assert response.status_code == 429 and not _logged_in(response)
    page = response.content.decode()
    assert "Đăng nhập sai quá nhiều lần" in page and "30 phút" in page
    assert response["Retry-After"] == "1800"
    assert "_auth_user_id" not in client.session


def test_one_address_trying_many_usernames_is_locked(settings):
    UserFactory(username="nsx.mot", is_staff=True, is_superuser=True)
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, f"ai-do-{n}", "sai", ip="203.0.113.50")
    assert _login(client, "nsx.mot", PASSWORD, ip="203.0.113.50").status_code == 429
    assert _logged_in(_login(Client(), "nsx.mot", PASSWORD, ip="203.0.113.51"))  # another address is not locked


def test_a_few_mistakes_then_the_right_password_works(settings):
    UserFactory(username="nsx.hai", is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "nsx.hai", "sai").status_code == 200
    assert _logged_in(_login(client, "nsx.hai", PASSWORD))


def test_the_lock_ends_after_the_cool_off(settings):
    UserFactory(username="nsx.ba", is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "nsx.ba", "sai")
    assert _login(client, "nsx.ba", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    assert _logged_in(_login(client, "nsx.ba", PASSWORD))


def test_forwarded_for_is_ignored_without_a_trusted_proxy(settings):
    UserFactory(username="nsx.bon", is_staff=True, is_superuser=True)
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):  # the attacker rotates a forged header
        client.post(LOGIN, {"username": f"khac{n}", "password": "sai"}, REMOTE_ADDR="203.0.113.60",
                    HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert client.post(LOGIN, {"username": "nsx.bon", "password": PASSWORD}, REMOTE_ADDR="203.0.113.60",
                       HTTP_X_FORWARDED_FOR="10.0.0.99").status_code == 429


def test_behind_one_proxy_the_client_is_the_address_the_proxy_appended(settings, rf):
    from marketplace.accounts.clientip import client_ip

    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.70")
    assert client_ip(request) == "203.0.113.70"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"


# The operator's unlock -----------------------------------------------------------------------

def _lock(settings, username: str, ip: str) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, username, "sai", ip=ip)


def test_operator_sees_locked_logins_and_unlocks_a_username(settings):
    UserFactory(username="nsx.nam", is_staff=True, is_superuser=True)
    operator = UserFactory(username="vanhanh.test", is_superuser=True, is_staff=True)
    _lock(settings, "nsx.nam", "203.0.113.80")
    admin = Client()
    admin.force_login(operator)
    page = admin.get("/admin/ocop/logins/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "nsx.nam" in text and "203.0.113.80" in text and "Mở khoá" in text

    response = admin.post("/admin/ocop/logins/", {"kind": "username", "value": "nsx.nam"})
    assert response.status_code == 302
    # Those failures were the address's too (one row per username and address): both are free.
    assert lockouts_active() == []
    assert _logged_in(_login(Client(), "nsx.nam", PASSWORD, ip="203.0.113.80"))


def test_operator_unlocks_an_address(settings):
    UserFactory(username="nsx.sau", is_staff=True, is_superuser=True)
    operator = UserFactory(username="vanhanh.test2", is_superuser=True, is_staff=True)
    _lock(settings, "nsx.khac", "203.0.113.90")
    admin = Client()
    admin.force_login(operator)
    admin.post("/admin/ocop/logins/", {"kind": "ip_address", "value": "203.0.113.90"})
    assert _logged_in(_login(Client(), "nsx.sau", PASSWORD, ip="203.0.113.90"))


def test_only_operators_open_the_unlock_view(settings):
    editor = UserFactory(username="bientap.thu", is_staff=True)
    from django.contrib.auth.models import Permission

    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client = Client()
    client.force_login(editor)
    assert client.get("/admin/ocop/logins/").status_code in (302, 403)
    _lock(settings, "nsx.khac", "203.0.113.91")
    assert client.post("/admin/ocop/logins/", {"kind": "ip_address", "value": "203.0.113.91"}).status_code in (302, 403)
    assert ("ip_address", "203.0.113.91") in [(row.kind, row.value) for row in lockouts_active()]


def test_the_api_is_no_password_oracle():
    """HTTP Basic on the API would let passwords be tried without the login page's lock."""
    import base64

    UserFactory(username="nsx.bay", is_staff=True)
    client = Client()

    def basic(password: str) -> int:
        token = base64.b64encode(f"nsx.bay:{password}".encode()).decode()
        return client.get("/api/v1/products/", HTTP_AUTHORIZATION=f"Basic {token}").status_code

    assert basic("sai") == basic(PASSWORD) == 200
