"""Content-Security-Policy and Permissions-Policy on every page; inline scripts only with the nonce."""
from __future__ import annotations

import re

import pytest
from django.test import override_settings

from marketplace.settings.security_headers import content_security_policy
from tests import factories

pytestmark = pytest.mark.django_db

SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
DATA_TYPES = ("application/json", "application/ld+json", "text/template")


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def inline_scripts(html: str) -> list[str]:
    """The attributes of every <script> that runs inline code (no src, not a data block)."""
    found = []
    for attributes in SCRIPT.findall(html):
        if "src=" in attributes or any(f'type="{kind}"' in attributes for kind in DATA_TYPES):
            continue
        found.append(attributes)
    return found


@pytest.fixture
def operator(client):
    user = factories.UserFactory(username="vanhanh", is_superuser=True, is_staff=True)
    client.force_login(user)
    return user


def test_public_pages_send_a_strict_policy_and_have_no_inline_script(client, make_listing):
    listing = make_listing(name="Mật ong bạc hà")
    commune_page = listing.get_parent().get_parent()
    for url in ("/", commune_page.url, listing.url, "/livestream/"):
        for attempt in ("miss", "hit"):  # the page cache must not drop the headers
            response = client.get(url)
            assert response.status_code == 200, url
            directives = policy(response)
            assert directives["script-src"][0] == "'self'" and "'unsafe-inline'" not in directives["script-src"]
            assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'self'"]
            assert "https://tile.openstreetmap.org" in directives["img-src"]
            assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
            assert inline_scripts(response.content.decode()) == [], (url, attempt)


@pytest.mark.parametrize("url_of", [
    lambda w: "/admin/",
    lambda w: f"/admin/pages/{w.pk}/edit/",
    lambda w: f"/admin/pages/add/cms/productpage/{w.get_parent().pk}/",
    lambda w: "/admin/images/",
    lambda w: "/admin/images/multiple/add/",
    lambda w: "/admin/reports/site-history/",
])
def test_admin_inline_scripts_carry_this_requests_nonce(client, operator, make_listing, url_of):
    listing = make_listing(name="Mật ong bạc hà")
    response = client.get(url_of(listing))
    assert response.status_code == 200
    script_src = policy(response)["script-src"]
    nonces = [s for s in script_src if s.startswith("'nonce-")]
    scripts = inline_scripts(response.content.decode())
    if not scripts:
        return
    assert len(nonces) == 1, script_src
    nonce = nonces[0][len("'nonce-"):-1]
    assert all(f'nonce="{nonce}"' in attributes for attributes in scripts), scripts
    assert client.get(url_of(listing))["Content-Security-Policy"] != response["Content-Security-Policy"]  # fresh per request


def test_the_product_editor_has_inline_panels_and_date_widgets_under_the_nonce(client, operator, make_listing):
    listing = make_listing(name="Mật ong bạc hà")
    html = client.get(f"/admin/pages/{listing.pk}/edit/").content.decode()
    scripts = inline_scripts(html)
    assert len(scripts) >= 3  # the gallery and SKU inline panels, the go-live/expiry date widgets
    assert "new InlinePanel(" in html and "initDateTimeChooser(" in html


def test_a_local_fake_stripe_is_allowed_only_when_configured():
    default = content_security_policy(map_tile_url="https://{s}.tile.example.org/{z}/{x}/{y}.png",
                                      stripe_api_base="https://api.stripe.com")["DIRECTIVES"]
    assert "https://*.tile.example.org" in default["img-src"]
    assert "https://js.stripe.com" in default["script-src"] and "http://127.0.0.1:8420" not in default["script-src"]
    fake = content_security_policy(map_tile_url="", stripe_api_base="http://127.0.0.1:8420")["DIRECTIVES"]
    assert "http://127.0.0.1:8420" in fake["script-src"] and "http://127.0.0.1:8420" in fake["connect-src"]


@override_settings(CONTENT_SECURITY_POLICY=content_security_policy(map_tile_url="", stripe_api_base="https://api.stripe.com",
                                                                   report_uri="/csp-report/"))
def test_a_report_uri_can_be_set(client):
    assert policy(client.get("/healthz"))["report-uri"] == ["/csp-report/"]
