"""Browser tests: Playwright (sync API) driving Debian's chromium against pytest-django's live server.

Fixtures: `browser` (one chromium for the session; skipped when /usr/bin/chromium is missing),
`new_context(**options)` (a fresh context: own cookies, base URL of the live server),
`page` (a page in a fresh context) and `live_site` (the live server with the migrated data).
`site_url(live_server)` gives the server's address by IP.

Network: only 127.0.0.1 is reachable from the browser. Any other request (map tiles, fonts) is
aborted and its URL noted in `context.blocked_urls`.

Database: these tests are transactional (the live server runs in another thread), so
pytest-django flushes the database after each one, taking along what the data migrations put
there (the admin units, Wagtail's root page, site and home page). The tests therefore ask for
serialized rollback, which makes pytest-django serialize the migrated contents once at setup
and keeps the flush from re-running post_migrate. We restore those contents ourselves, in bulk
(Django's own restore saves the ~25,000 rows one by one, with signals: ~8 s a test): before a
test when they are missing, and after the last test of a module, so that transactional tests
in later modules find them too.
"""
import os
from urllib.parse import urlsplit

import pytest

from tests import dbrestore

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# there unless told that this is fine (it is: the loop is Playwright's, not our code's).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1"}
TIMEOUT_MS = 15_000


def site_url(live_server) -> str:
    """The live server's address by IP (the only host the browser may reach), without a trailing slash."""
    parts = urlsplit(live_server.url)
    return f"{parts.scheme}://127.0.0.1:{parts.port}"


def _local_only(blocked: list):
    """A route handler: requests to 127.0.0.1 (and data:/blob: URLs) go on; the rest are aborted and noted."""

    def handle(route):
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort("blockedbyclient")

    return handle


@pytest.fixture(scope="session")
def browser(django_db_setup, django_db_blocker):
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; scripts/test.sh does it as root)")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    dbrestore.take_over_serialized_contents()  # restored by us, in bulk (tests/dbrestore.py)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        # Between Playwright's sync calls the test thread has a running event loop, so Django's
        # connection handler keeps its connections in a context variable instead of the thread:
        # new connection objects, without the marker that makes pytest-django's flush skip
        # post_migrate (which would recreate content types and permissions under new ids).
        for alias in dbrestore.migrated_contents:
            connections[alias]._test_serialized_contents = "[]"
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_context(browser, live_site):
    """Make a fresh browser context (own cookies), restricted to the live server; closed after the test."""
    contexts = []

    def make(**kwargs):
        kwargs.setdefault("base_url", site_url(live_site))
        kwargs.setdefault("locale", "vi-VN")
        kwargs.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**kwargs)
        context.set_default_timeout(TIMEOUT_MS)
        context.blocked_urls = []  # what the pages tried to fetch from elsewhere
        context.route("**/*", _local_only(context.blocked_urls))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture
def live_site(django_db_serialized_rollback, live_server):
    """The live server, with the migrated data (admin units, home page, site) in the database."""
    from wagtail.models import Site

    dbrestore.restore_all_if_missing()
    assert Site.objects.filter(is_default_site=True).exists(), "the migrated data is missing"
    return live_server


@pytest.fixture(autouse=True)
def _default_language():
    """Page URLs computed in the test (`page.url`) follow the active language: make it Vietnamese,
    whatever an earlier test (a test-client request to /en/ activates English) left behind."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield
