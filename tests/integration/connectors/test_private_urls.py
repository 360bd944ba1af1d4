"""Platform addresses inside our own network are never called (SSRF): the operators' form refuses
them, and a stored one is refused on every call, before anything is sent. A real local server
stands in for the internal service an attacker would aim at."""
from __future__ import annotations

import http.server
import threading

import pytest

from connectors import registry
from connectors.exceptions import BlockedAddress
from connectors.http import ConnectorSession, address_is_public, url_is_allowed
from connectors.models import Binding, Connection, SyncState
from connectors.services import drain, reconcile
from tests.integration.admin_world import login

SECRET_ANSWER = "internal-secret-answer-7f3a"


class _Recorder(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        self.server.calls.append((self.command, self.path, dict(self.headers)))
        body = ('{"message": "%s"}' % SECRET_ANSWER).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def internal_service():
    """A local HTTP service that records every request it receives."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.calls = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def private_refused(settings):
    settings.CONNECTOR_ALLOW_PRIVATE_URLS = False
    registry.adapters_reset()
    yield
    registry.adapters_reset()


def _url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.0.0.8", "198.18.0.1",
    "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3",
    "64:ff9b::7f00:1", "2002:7f00:1::1", "2001:db8::1",
])
def test_internal_addresses_are_not_public(address):
    assert address_is_public(address) is False


@pytest.mark.parametrize("address", ["8.8.8.8", "203.113.131.1", "2001:4860:4860::8888"])
def test_internet_addresses_are_public(address):
    assert address_is_public(address) is True


def test_urls_naming_internal_hosts_are_refused(private_refused):
    for url in ("http://127.0.0.1:8701/", "http://localhost/api", "http://[::1]:80/", "http://0x7f000001/",
                "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd", "gopher://8.8.8.8/", "http:///nohost",
                "http://name-that-does-not-resolve.invalid/"):
        assert url_is_allowed(url) is False, url
    assert url_is_allowed("http://8.8.8.8/") is True


def test_the_session_never_sends_to_an_internal_address(private_refused, internal_service):
    session = ConnectorSession()
    with pytest.raises(BlockedAddress) as caught:
        session.post(_url(internal_service) + "api/san-pham", json={"key": "secret"})
    assert internal_service.calls == []
    assert SECRET_ANSWER not in caught.value.message and "127.0.0.1" in caught.value.message


def test_a_name_resolving_elsewhere_at_connect_time_is_still_refused(private_refused, internal_service, monkeypatch):
    """DNS rebinding: the name looked public when checked, the socket connects inside."""
    monkeypatch.setattr("connectors.http.url_is_allowed", lambda url: True)
    with pytest.raises(BlockedAddress):
        ConnectorSession().get(_url(internal_service))
    assert internal_service.calls == []


def test_allowed_by_the_setting_for_tests_and_the_demo(internal_service, settings):
    settings.CONNECTOR_ALLOW_PRIVATE_URLS = True
    assert ConnectorSession().get(_url(internal_service)).status_code == 400
    assert len(internal_service.calls) == 1


@pytest.mark.django_db
def test_a_stored_internal_url_is_not_called_and_its_answer_not_reported(private_refused, internal_service, make_listing,
                                                                       settings):
    """A connection saved before the rule (or by hand) points at an internal service: the worker
    refuses the call, sends no product data or key there, and reports no detail of the far side."""
    settings.CONNECTOR_NGHEAN37 = {"url": "", "api_keys": ""}
    Connection.objects.create(platform="nghean37", account="02923", base_url=_url(internal_service), secret="khoa-that-1234567")
    listing = make_listing()
    reconcile(lanes=registry.lanes())
    drain(include_waiting=True)
    assert internal_service.calls == []
    binding = Binding.objects.get(sku__product=listing.product, platform="nghean37")
    assert binding.sync_state == SyncState.FAILED
    assert SECRET_ANSWER not in binding.last_error and "khoa-that" not in binding.last_error


@pytest.mark.django_db
def test_operators_cannot_save_an_internal_base_url(client, private_refused, internal_service, settings):
    from tests import factories

    settings.CONNECTOR_NGHEAN37 = {"url": "", "api_keys": ""}
    login(client, factories.UserFactory(username="vanhanh.url", is_superuser=True, is_staff=True))
    for url in (_url(internal_service), "http://169.254.169.254/", "http://localhost:8000/"):
        response = client.post("/admin/connectors/connections/", {
            "platform": "nghean37", "account": "02923", "secret": "khoa-xa-a-12345678", "base_url": url, "enabled": "on"})
        assert response.status_code == 200
        assert "Địa chỉ API phải là một địa chỉ công khai" in response.content.decode()
        assert not Connection.objects.filter(base_url=url).exists()
    assert internal_service.calls == []


@pytest.mark.django_db
def test_a_service_caller_that_is_not_an_operator_cannot_set_the_base_url():
    from django.core.exceptions import PermissionDenied

    from connectors.services import connection_save
    from tests import factories

    editor = factories.UserFactory(username="bientap.url")
    with pytest.raises(PermissionDenied):
        connection_save(platform="nghean37", account="02923", values={"base_url": "https://example.vn/", "secret": "k" * 10},
                        by=editor)
    assert not Connection.objects.exists()
