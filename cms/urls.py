"""Public routes of the cms app outside the page tree (included before Wagtail's catch-all)."""
from django.urls import re_path

from . import feeds

urlpatterns = [
    re_path(r"^tin-tuc/xa/(?P<code>\d{5})/rss\.xml$", feeds.CommuneNewsFeed(), name="news-feed-commune-rss"),
    re_path(r"^tin-tuc/xa/(?P<code>\d{5})/atom\.xml$", feeds.CommuneNewsAtomFeed(), name="news-feed-commune-atom"),
    re_path(r"^tin-tuc/tinh/(?P<code>\d{2})/rss\.xml$", feeds.ProvinceNewsFeed(), name="news-feed-province-rss"),
    re_path(r"^tin-tuc/tinh/(?P<code>\d{2})/atom\.xml$", feeds.ProvinceNewsAtomFeed(), name="news-feed-province-atom"),
]
