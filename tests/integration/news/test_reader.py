"""The reader's side: news index with pagination, Open Graph meta, RSS/Atom feeds per commune
and province, the sitemap, latest articles on the commune page."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.test import override_settings

from cms.articles import services as news

from .conftest import promotion, small_image

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def _articles(news_index, n):
    return [news.article_create(news_index=news_index, title=f"Tin số {i}", intro=f"Tóm tắt {i}", body=[("paragraph", "<p>x</p>")])
            for i in range(n)]


@override_settings(NEWS_PAGE_SIZE=2)
def test_news_index_paginates_newest_first_and_survives_bad_page_numbers(client, news_index):
    _articles(news_index, 5)
    first = client.get(news_index.url).content.decode()
    assert re.findall(r"Tin số \d", first)[:2] == ["Tin số 4", "Tin số 3"]
    assert "Trang 1/3" in first and 'rel="next"' in first
    last = client.get(news_index.url + "?trang=3").content.decode()
    assert "Tin số 0" in last and 'rel="next"' not in last
    assert client.get(news_index.url + "?trang=abc").status_code == 200
    assert "Tin số 0" in client.get(news_index.url + "?trang=999").content.decode()


def test_news_index_filters_by_kind(client, news_index):
    _articles(news_index, 1)
    promotion(news_index)
    page = client.get(news_index.url + "?loai=promotion").content.decode()
    assert "Mật ong bạc hà mùa mới" in page and "Tin số 0" not in page


def test_article_page_has_open_graph_and_twitter_meta_with_an_absolute_image(client, news_index, settings):
    settings.SITE_BASE_URL = "https://cho-ocop.example.vn"
    article = news.article_create(news_index=news_index, title="Mùa cam", intro="Cam Vinh vào mùa", body=[("paragraph", "<p>x</p>")],
                                  feed_image=small_image())
    html = client.get(article.url).content.decode()
    meta = dict(re.findall(r'<meta (?:property|name)="((?:og|twitter):[\w:]+)" content="([^"]*)"', html))
    assert meta["og:title"] == "Mùa cam" and meta["og:description"] == "Cam Vinh vào mùa"
    assert meta["og:type"] == "article" and meta["twitter:card"] == "summary_large_image"
    assert meta["og:image"].startswith("https://cho-ocop.example.vn/") and "fill-1200x630" in meta["og:image"]
    assert meta["og:url"].startswith("http") and meta["og:url"].endswith(article.url)


def test_commune_rss_and_atom_feeds_list_the_latest_articles(client, news_index, commune_page):
    promotion(news_index)
    rss = client.get(f"/tin-tuc/xa/{commune_page.admin_unit.code}/rss.xml")
    assert rss.status_code == 200 and rss["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(rss.content).find("channel")
    assert "Xã Gia Phú" in channel.findtext("title")
    item = channel.find("item")
    assert item.findtext("title") == "Mật ong bạc hà mùa mới"
    assert item.findtext("link").endswith("/tin-tuc/mat-ong-bac-ha-mua-moi/")
    atom = ET.fromstring(client.get(f"/tin-tuc/xa/{commune_page.admin_unit.code}/atom.xml").content)
    assert atom.find(f"{ATOM}entry/{ATOM}title").text == "Mật ong bạc hà mùa mới"


def test_province_feed_gathers_its_communes_and_unknown_codes_are_404(client, news_index, commune_page):
    promotion(news_index)
    province = commune_page.admin_unit.parent.code
    rss = ET.fromstring(client.get(f"/tin-tuc/tinh/{province}/rss.xml").content)
    assert [i.findtext("title") for i in rss.iter("item")] == ["Mật ong bạc hà mùa mới"]
    assert client.get("/tin-tuc/xa/99999/rss.xml").status_code == 404
    assert client.get("/tin-tuc/tinh/99/atom.xml").status_code == 404


def test_unpublished_articles_stay_out_of_feeds_and_sitemap(client, news_index, commune_page):
    draft = promotion(news_index, title="Bản nháp", publish=False)
    live = promotion(news_index, title="Đã đăng")
    feed = client.get(f"/tin-tuc/xa/{commune_page.admin_unit.code}/rss.xml").content.decode()
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "Đã đăng" in feed and "Bản nháp" not in feed
    assert live.url in sitemap and news_index.url in sitemap
    assert "ban-nhap" not in sitemap and draft.slug not in sitemap


def test_commune_page_shows_the_latest_articles_and_links_the_feed(client, news_index, commune_page):
    _articles(news_index, 4)
    html = client.get(commune_page.url).content.decode()
    section = html[html.index('class="latest-news"'):]
    assert re.findall(r"Tin số \d", section)[:3] == ["Tin số 3", "Tin số 2", "Tin số 1"]
    assert "Tin số 0" not in section.split("</section>")[0]
    assert f"/tin-tuc/xa/{commune_page.admin_unit.code}/rss.xml" in html


def test_feeds_are_served_from_the_page_cache_and_refreshed_on_publish(client, news_index, commune_page):
    url = f"/tin-tuc/xa/{commune_page.admin_unit.code}/rss.xml"
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"
    promotion(news_index, title="Bài mới")
    response = client.get(url)
    assert response["X-Page-Cache"] == "miss" and "Bài mới" in response.content.decode()
