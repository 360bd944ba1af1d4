"""Whole-page cache for anonymous visitors, with exact invalidation.

A page opts in by setting `response.cacheable_page` (see cms.models.CachedPageMixin).

One shared *content version* guards every entry: any change a visitor could see (a page
published, unpublished, moved or restricted; a price, stock, certificate, producer or image
change) replaces it with a fresh random token, so the next request for every page renders
afresh. Stale pages are never served; the cost of a change is one re-render per page.

- An entry is stored under its URL (scheme, host, path and query) and tagged with the version
  read *before* rendering and with today's date (certificate validity depends on the date). A
  hit needs the tag to equal the current version and date, so a page rendered while a change
  was committing is never served after the change.
- A hit costs one `get_many` (the version and the entry together: one round trip on Redis;
  two small file reads with the file cache, which both gunicorn workers share), no database
  query and no session, CSRF or URL work.
- The version is a fresh random token, never a counter: concurrent bumps on the file cache
  cannot lose an increment, and a version evicted from the cache comes back as a value no
  entry carries.
- Only plain `GET`s without a session cookie or an Authorization header are eligible, and only
  a 200 that sets no cookie, does not vary on Cookie and is not marked private or no-store is
  stored. Entries are (status, headers, body): no pickled response objects. `Vary:
  Accept-Language` is not a reason to skip: the language comes from the path alone (English
  under /en/, Vietnamese unprefixed whatever the browser asks), and the path is in the key.
- Answers carry `X-Page-Cache: hit` or `miss` (stored now), so a deployment can check it.
- Visits of pages that ask for it (`response.visit_page_id`, product and commune pages) are
  counted here, hits included: the page id is kept in the entry, and `cms.visits.record` adds
  to an in-process buffer written in batches.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils.cache import cc_delim_re
from wagtail.images import get_image_model_string
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from cms import visits
from marketplace.catalog import signals as catalog_signals

VERSION_KEY = "pagecache:version"
ENTRY_PREFIX = "pagecache:page:"
TIMEOUT = 24 * 60 * 60
HEADER = "X-Page-Cache"


def _new_token() -> str:
    return secrets.token_hex(8)


def current_version() -> str:
    """The current content version (created when missing, e.g. after the cache was cleared)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _new_token(), None)
        version = cache.get(VERSION_KEY)
    return version


def bump_version(**_kwargs) -> None:
    """Invalidate every cached page: now (for readers inside this transaction's process) and
    again after commit (so nothing rendered from the pre-commit state stays valid)."""

    def bump():
        cache.set(VERSION_KEY, _new_token(), None)

    bump()
    transaction.on_commit(bump)


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _eligible(request):
            return _counted(request, self.get_response(request))
        key = _entry_key(request)
        found = cache.get_many([VERSION_KEY, key])
        version, entry = found.get(VERSION_KEY), found.get(key)
        today = dt.date.today().isoformat()
        if version is not None and entry is not None and entry[0] == version and entry[1] == today:
            if len(entry) > 5 and entry[5]:
                visits.record(entry[5])
            return _response_from(entry)
        if version is None:
            version = current_version()
        response = _counted(request, self.get_response(request))
        if _storable(response):
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            headers = [(name, value) for name, value in response.items() if name != HEADER]
            page_id = getattr(response, "visit_page_id", None)
            cache.set(key, (version, today, response.status_code, headers, response.content, page_id), TIMEOUT)
            response[HEADER] = "miss"
        return response


def _counted(request, response):
    """Count a successful GET of a page that asks for visit counts (hits are counted above)."""
    page_id = getattr(response, "visit_page_id", None)
    if page_id and request.method == "GET" and response.status_code == 200:
        visits.record(page_id)
    return response


def _eligible(request) -> bool:
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.META.get("HTTP_AUTHORIZATION")
    )


def _entry_key(request) -> str:
    url = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return ENTRY_PREFIX + hashlib.md5(url.encode(), usedforsecurity=False).hexdigest()


def _storable(response) -> bool:
    if not getattr(response, "cacheable_page", False) or response.status_code != 200:
        return False
    if response.cookies or getattr(response, "streaming", False):
        return False
    vary = {v.strip().lower() for v in cc_delim_re.split(response.get("Vary", ""))}
    if "cookie" in vary or "*" in vary:
        return False
    cache_control = {v.split("=")[0].strip().lower() for v in cc_delim_re.split(response.get("Cache-Control", ""))}
    return not cache_control & {"private", "no-store", "no-cache"}


def _response_from(entry) -> HttpResponse:
    status, headers, content = entry[2:5]
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    response[HEADER] = "hit"
    return response


# -- invalidation ------------------------------------------------------------------------------
for _signal in (catalog_signals.product_published, catalog_signals.product_unpublished,
                catalog_signals.stock_changed, catalog_signals.catalog_changed):
    _signal.connect(bump_version, dispatch_uid=f"pagecache-{id(_signal)}")


@receiver([page_published, page_unpublished, post_page_move, page_slug_changed], dispatch_uid="pagecache-page-events")
def _on_page_event(sender, **kwargs):
    bump_version()


@receiver([post_save, post_delete], dispatch_uid="pagecache-model-changes")
def _on_content_change(sender, **kwargs):
    if _tracked(sender):
        bump_version()


def _tracked(model) -> bool:
    """Rows a public page shows or that decide who may see it."""
    meta = model._meta
    label = meta.label
    if label in _UNTRACKED:
        return False
    if meta.app_label == "catalog" or label in _TRACKED:
        return True
    return model in _page_models()


_TRACKED = {"wagtailcore.PageViewRestriction", "wagtailcore.Site", get_image_model_string()}
# Admin units never change after their data migration; renditions are written while rendering.
_UNTRACKED = {"catalog.AdminUnit", "catalog.AdminUnitMapping"}


_page_model_set: frozenset | None = None


def _page_models() -> frozenset:
    global _page_model_set
    if _page_model_set is None:
        from wagtail.models import Page, get_page_models

        _page_model_set = frozenset({Page, *get_page_models()})
    return _page_model_set
