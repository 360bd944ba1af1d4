"""Whole-page cache for anonymous visitors, with exact invalidation.

A page opts in by setting `response.cacheable_page` (see cms.models.CachedPageMixin). Every
cached entry is keyed by one content version; any change a visitor could see (a page
published or unpublished, a price, stock, certificate or producer change) bumps that version,
so the next request renders afresh. Stale pages are never served; the cost of a change is one
re-render per page.
"""
from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import get_language_from_path

from wagtail.signals import page_published, page_unpublished

from marketplace.catalog import signals as catalog_signals

VERSION_KEY = "pagecache:version"
TIMEOUT = 24 * 60 * 60


def current_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, None)
        version = cache.get(VERSION_KEY) or 1
    return version


def bump_version(**_kwargs) -> None:
    def bump():
        try:
            cache.incr(VERSION_KEY)
        except ValueError:
            cache.set(VERSION_KEY, 2, None)

    bump()  # now, for readers in this transaction's process
    transaction.on_commit(bump)  # and after commit, so no reader caches the pre-commit state


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self._eligible(request):
            return self.get_response(request)
        key = f"pagecache:{current_version()}:{get_language_from_path(request.path) or ''}:{request.get_full_path()}"
        cached = cache.get(key)
        if cached is not None:
            return cached
        response = self.get_response(request)
        if getattr(response, "cacheable_page", False) and response.status_code == 200 and not response.cookies:
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            cache.set(key, response, TIMEOUT)
        return response

    @staticmethod
    def _eligible(request) -> bool:
        return (
            request.method == "GET"
            and "sessionid" not in request.COOKIES
            and not request.META.get("HTTP_AUTHORIZATION")
        )


for _signal in (catalog_signals.product_published, catalog_signals.product_unpublished,
                catalog_signals.stock_changed, catalog_signals.catalog_changed):
    _signal.connect(bump_version, dispatch_uid=f"pagecache-{id(_signal)}")


@receiver([page_published, page_unpublished, post_save, post_delete])
def _on_content_change(sender, **kwargs):
    if sender in _page_models() or getattr(sender._meta, "app_label", None) == "catalog" and sender not in _untracked_models():
        bump_version()


def _page_models():
    from wagtail.models import Page, get_page_models

    return {Page, *get_page_models()}


def _untracked_models():
    from marketplace.catalog.models import AdminUnit, AdminUnitMapping

    return {AdminUnit, AdminUnitMapping}
