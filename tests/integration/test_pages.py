"""Public pages: query counts that do not grow with the data, the product page's weight and
no-JavaScript content, and the anonymous page cache (hits, exact invalidation, never for users).

Images are real files generated like the demo's (cms.demo._image) and written to a temporary
MEDIA_ROOT, never to var/.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.files.images import ImageFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from PIL import Image as PILImage
from wagtail.images.models import Image

from cms import services
from cms.demo import _image as demo_image
from cms.models import ProductPageImage
from marketplace import pagecache
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Batch, OcopCertificate, Sku
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tmp_media")]

PAGE_BUDGET = 100 * 1024  # bytes: HTML + CSS + JS + images loaded up front
VIEWPORT_MAX = 720  # px: the phones and small tablets the budget is for (360–720 px wide)


@pytest.fixture(autouse=True)
def _language_reset():
    """Requests to /en/ activate English in this thread (a cache hit activates nothing): leave
    no language behind for later tests, which compute page URLs in the active language."""
    yield
    translation.deactivate()


# -- helpers -------------------------------------------------------------------------------------
def _small_image(label: str) -> Image:
    picture = PILImage.new("RGB", (200, 150), (90 + len(label) * 7 % 150, 140, 90))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=70)
    return Image.objects.create(title=label, file=ImageFile(buffer, name=f"{label}.jpg"))


def _add_photo(page, image: Image):
    """What a producer does in the admin: add a photo to the listing and publish it."""
    page = page.get_latest_revision_as_object()
    page.gallery = [*page.gallery.all(), ProductPageImage(image=image)]
    page.save_revision().publish()
    return type(page).objects.get(pk=page.pk)


def _listing_with_photo(producer_page, name: str, photos: bool = True, **kwargs):
    page = factories.listing(producer_page=producer_page, name=name, **kwargs)
    return _add_photo(page, _small_image(name.replace(" ", "-"))) if photos else page


def _queries(client, url: str) -> int:
    cache.clear()  # neither the page cache nor cached renditions may hide queries
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def _content(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# -- (a) query counts are constant in the number of items -----------------------------------------
class World:
    """A commune with producers; one producer with products; one product with SKUs and batches.
    `grow(n)` brings every count to n."""

    def __init__(self, commune, photos: bool):
        self.commune, self.photos = commune, photos
        self.main_producer = factories.producer_page(commune=commune)
        self.product = _listing_with_photo(self.main_producer, "Sản phẩm chính", photos)
        self.products = [self.product]
        self.producers = [self.main_producer]

    def grow(self, n: int) -> None:
        while len(self.producers) < n:
            producer_page = factories.producer_page(commune=self.commune)
            _listing_with_photo(producer_page, f"Đặc sản {len(self.producers)}", self.photos)
            self.producers.append(producer_page)
        while len(self.products) < n:
            self.products.append(_listing_with_photo(self.main_producer, f"Sản phẩm {len(self.products)}", self.photos,
                                                     stars=3 + len(self.products) % 3))
        code = self.product.sku_rows.first().code
        skus = [catalog.SkuData(code, "gói 500g", 120000, 500)] + [
            catalog.SkuData(f"{code}-{i}", f"thùng {i} gói", 120000 * i, 500 * i) for i in range(2, n + 1)]
        self.product = services.listing_update(page=self.product, name=self.product.title, skus=skus,
                                               category=self.product.category)
        for sku in Sku.objects.filter(product=self.product.product_id):
            catalog.stock_set(sku=sku, on_hand=7)
        product = self.product.product
        for i in range(product.batches.count(), n):
            Batch.objects.create(product=product, lot_code=f"L{i}", produced_on=dt.date(2026, 1, 1 + i))
        while self.photos and self.product.gallery.count() < n:
            self.product = _add_photo(self.product, _small_image(f"anh-{n}-{self.product.gallery.count()}"))

    def urls(self) -> dict[str, str]:
        commune_page = self.main_producer.get_parent()
        return {"home": "/", "commune": commune_page.url, "producer": self.main_producer.url, "product": self.product.url}


@pytest.mark.parametrize("photos", [
    pytest.param(False, id="without-photos"),
    pytest.param(True, id="with-photos"),
])
def test_query_counts_do_not_grow_with_the_number_of_items(client, commune, photos):
    world = World(commune, photos)
    world.grow(3)
    for url in world.urls().values():
        client.get(url)  # renditions are made once, on the first view
    small = {name: _queries(client, url) for name, url in world.urls().items()}

    world.grow(6)
    for url in world.urls().values():
        client.get(url)
    large = {name: _queries(client, url) for name, url in world.urls().items()}

    page = _content(client, world.urls()["commune"])
    assert all(p.title in page for p in world.producers) and "Sản phẩm 5" in page  # the pages did grow
    assert len(re.findall(r"<tr><td>", _content(client, world.urls()["product"]))) == 6
    assert large == small, f"queries with 3 items: {small}; with 6: {large}"


# -- (b) the product page: weight and content without JavaScript -----------------------------------
class _Assets(HTMLParser):
    """Stylesheets, scripts and the images a 360–720 px viewport loads up front."""

    def __init__(self):
        super().__init__()
        self.stylesheets, self.scripts, self.images, self.lazy_images = [], [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").split() and a.get("href"):
            self.stylesheets.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        elif tag == "img":
            chosen = _srcset_choice(a.get("srcset")) or a.get("src")
            if chosen:
                (self.lazy_images if a.get("loading") == "lazy" else self.images).append(chosen)


def _srcset_choice(srcset: str | None) -> str | None:
    """The candidate a browser picks at most for a viewport up to 720 px: the widest `w`
    candidate not wider than 720 px (or the narrowest when all are wider) — the heavier pick for
    360 px at 2x or a 540 px slot, so the budget holds for the whole 360–720 px range."""
    if not srcset:
        return None
    candidates = []
    for part in srcset.split(","):
        bits = part.split()
        width = int(bits[1][:-1]) if len(bits) > 1 and bits[1].endswith("w") else 0
        candidates.append((width, bits[0]))
    fitting = [c for c in candidates if c[0] <= VIEWPORT_MAX]
    return (max(fitting) if fitting else min(candidates))[1]


def _asset_bytes(url: str, settings) -> bytes:
    path = url.split("?")[0]
    if path.startswith(settings.STATIC_URL):
        found = finders.find(path[len(settings.STATIC_URL):])
        assert found, f"static file not found: {url}"
        return Path(found).read_bytes()
    if path.startswith(settings.MEDIA_URL):
        file = Path(settings.MEDIA_ROOT) / path[len(settings.MEDIA_URL):]
        assert file.is_file(), f"media file not found: {url}"
        return file.read_bytes()
    raise AssertionError(f"asset outside STATIC_URL and MEDIA_URL: {url}")


def _css_urls(css: str) -> list[str]:
    return [u for u in re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css) if not u.startswith("data:")]


@pytest.fixture
def product_page(make_listing):
    page = make_listing(name="Mật ong bạc hà", price_vnd=120000, stock=25, stars=4, decision_number="1234/QĐ-UBND")
    page = _add_photo(page, demo_image("Mật ong bạc hà"))
    page = _add_photo(page, demo_image("Mật ong bạc hà — tổ ong"))
    return page


def _camera_photo(title: str) -> Image:
    """A 1600×1200 JPEG with a photo's detail (noise over gradients, ~400 KB): demo images are
    flat drawings that compress far better than the photos producers upload."""
    from PIL import ImageChops, ImageFilter

    size = (1600, 1200)
    noise = PILImage.effect_noise(size, 40)
    red, green = PILImage.linear_gradient("L").resize(size), PILImage.radial_gradient("L").resize(size)
    picture = PILImage.merge("RGB", (ImageChops.add(red, noise, 2, 0), ImageChops.add(green, noise, 2, 20), noise))
    buffer = io.BytesIO()
    picture.filter(ImageFilter.GaussianBlur(0.8)).save(buffer, format="JPEG", quality=85)
    return Image.objects.create(title=title, file=ImageFile(buffer, name="camera-photo.jpg"))


@pytest.mark.parametrize("photo", [demo_image, _camera_photo], ids=["demo-image", "camera-photo"])
def test_product_page_weighs_at_most_100_kb_on_first_load(client, make_listing, settings, photo):
    product_page = make_listing(name="Mật ong bạc hà", stars=4)
    for n in range(3):
        product_page = _add_photo(product_page, photo(f"Mật ong bạc hà {n}"))
    response = client.get(product_page.url)
    assert response.status_code == 200
    html = response.content
    assets = _Assets()
    assets.feed(html.decode())
    assert assets.images, "the product photo should load up front"
    assert assets.lazy_images, "further photos are lazy (and not counted)"
    sizes = {"html": len(html)}
    for url in assets.stylesheets:
        css = _asset_bytes(url, settings)
        sizes[url] = len(css)
        base = url.rsplit("/", 1)[0] + "/"
        for ref in _css_urls(css.decode()):
            sizes[ref] = len(_asset_bytes(ref if ref.startswith("/") else base + ref, settings))
    for url in assets.scripts + assets.images:
        sizes[url] = len(_asset_bytes(url, settings))
    total = sum(sizes.values())
    assert total <= PAGE_BUDGET, f"{total} bytes > {PAGE_BUDGET}: {sizes}"


def test_product_page_content_is_in_the_html_without_javascript(client, product_page):
    html = _content(client, product_page.url)
    producer_page = product_page.get_parent()
    # Nothing on this page needs JavaScript: the one script is the search box's suggestions.
    assert [tag for tag in re.findall(r"<script[^>]*>", html) if "js/search_suggest" not in tag] == []
    assert "<h1>Mật ong bạc hà</h1>" in html
    assert '<td class="price">120.000 ₫</td>' in html
    assert "gói 500g" in html and "<td>25</td>" in html
    assert "OCOP ★★★★<" in html
    assert "1234/QĐ-UBND" in html
    assert f'<a href="{producer_page.url}">{producer_page.title}</a>' in html


# -- (c) the page cache ---------------------------------------------------------------------------------
def _hit(client, url: str, django_assert_num_queries) -> str:
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == 200 and response["X-Page-Cache"] == "hit"
    return response.content.decode()


def _prime(client, *urls: str) -> None:
    for url in urls:
        assert client.get(url)["X-Page-Cache"] == "miss"


def test_anonymous_repeat_request_is_served_from_the_cache(client, product_page, django_assert_num_queries):
    url = product_page.url
    first = client.get(url)
    assert first["X-Page-Cache"] == "miss"
    assert _hit(client, url, django_assert_num_queries) == first.content.decode()
    with django_assert_num_queries(0):  # the language comes from the path, not the browser
        assert client.get(url, HTTP_ACCEPT_LANGUAGE="en").content == first.content
    assert client.get("/en" + url)["X-Page-Cache"] == "miss"  # another language is another entry
    assert client.get(url + "?utm_source=zalo")["X-Page-Cache"] == "miss"


def test_stock_change_shows_at_once(client, product_page, django_assert_num_queries):
    url = product_page.url
    _prime(client, url)
    assert "<td>25</td>" in _hit(client, url, django_assert_num_queries)
    catalog.stock_set(sku=product_page.product.skus.get(), on_hand=37)
    assert "<td>37</td>" in _content(client, url)
    catalog.stock_set(sku=product_page.product.skus.get(), on_hand=0)
    assert "Hết hàng" in _content(client, url)


def test_published_price_change_shows_at_once_on_every_page(client, product_page, django_assert_num_queries):
    commune_url = product_page.get_parent().get_parent().url
    urls = [product_page.url, product_page.get_parent().url, commune_url, "/"]
    _prime(client, *urls)
    for url in urls:
        assert "120.000 ₫" in _hit(client, url, django_assert_num_queries)
    sku = product_page.sku_rows.first()
    services.listing_update(page=product_page, name=product_page.title, category=product_page.category,
                            skus=[catalog.SkuData(sku.code, sku.unit, 135000, sku.weight_gram)])
    for url in urls:
        html = _content(client, url)
        assert "135.000 ₫" in html and "120.000 ₫" not in html, url


def test_certificate_change_shows_at_once(client, product_page, django_assert_num_queries):
    url = product_page.url
    _prime(client, url)
    assert "OCOP ★★★★<" in _hit(client, url, django_assert_num_queries)
    catalog.certificate_save(certificate=OcopCertificate(
        product=product_page.product, stars=5, decision_number="77/QĐ-BNNMT", issuer="Bộ Nông nghiệp và Môi trường",
        issued_on=dt.date.today()))
    html = _content(client, url)
    assert "OCOP ★★★★★<" in html and "77/QĐ-BNNMT" in html
    certificate = product_page.product.certificates.get(decision_number="77/QĐ-BNNMT")
    certificate.decision_number = "78/QĐ-BNNMT"
    catalog.certificate_save(certificate=certificate)
    assert "78/QĐ-BNNMT" in _content(client, url)


def test_an_entry_from_yesterday_is_not_served(client, product_page, monkeypatch):
    """Certificate validity depends on the date, so a cached page is good for its day only."""
    url = product_page.url
    _prime(client, url)
    tomorrow = dt.date.today() + dt.timedelta(days=1)

    class _Date(dt.date):
        @classmethod
        def today(cls):
            return tomorrow

    monkeypatch.setattr(pagecache.dt, "date", _Date)
    assert client.get(url)["X-Page-Cache"] == "miss"


def test_logged_in_users_are_never_served_cached_pages(client, product_page, django_assert_num_queries):
    url = product_page.url
    _prime(client, url)
    user = factories.UserFactory()
    client.force_login(user)
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200 and "X-Page-Cache" not in response
        assert len(captured) > 0
    client.logout()
    _hit(client, url, django_assert_num_queries)  # and their visits did not replace the anonymous entry


def test_unpublished_page_is_not_served_from_the_cache(client, product_page):
    url = product_page.url
    _prime(client, url)
    product_page.unpublish()
    assert client.get(url).status_code == 404
