"""RSS and Atom feeds of the news of a commune (by its 2025 code) or of a province."""
from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _

from .articles.selectors import feed_articles
from .models import CommunePage, ProvincePage


class _CachedFeedMixin:
    """Feeds change only when a page is published or unpublished, which clears the page cache."""

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        response.cacheable_page = True
        return response


class CommuneNewsFeed(_CachedFeedMixin, Feed):
    feed_type = Rss201rev2Feed

    def get_object(self, request, code: str):
        return get_object_or_404(CommunePage.objects.live().select_related("admin_unit__parent"), admin_unit__code=code)

    def title(self, obj):
        return _("Tin tức %(place)s — Chợ OCOP") % {"place": obj.admin_unit.name}

    def link(self, obj):
        return obj.full_url or settings.SITE_BASE_URL

    def description(self, obj):
        return _("Tin tức và bài quảng bá sản phẩm OCOP của %(commune)s, %(province)s.") % {
            "commune": obj.admin_unit.name, "province": obj.admin_unit.parent.name}

    def items(self, obj):
        return feed_articles(root=obj)

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.intro

    def item_link(self, item):
        return item.full_url

    def item_guid(self, item):
        return item.full_url

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.last_published_at

    def item_categories(self, item):
        return [item.get_kind_display()]


class CommuneNewsAtomFeed(CommuneNewsFeed):
    feed_type = Atom1Feed
    subtitle = CommuneNewsFeed.description


class ProvinceNewsFeed(CommuneNewsFeed):
    def get_object(self, request, code: str):
        return get_object_or_404(ProvincePage.objects.live().select_related("admin_unit"), admin_unit__code=code)

    def description(self, obj):
        return _("Tin tức và bài quảng bá sản phẩm OCOP của các xã, phường thuộc %(province)s.") % {"province": obj.admin_unit.name}


class ProvinceNewsAtomFeed(ProvinceNewsFeed):
    feed_type = Atom1Feed
    subtitle = ProvinceNewsFeed.description
