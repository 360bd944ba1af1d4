"""Fixtures of the news tests: a commune page with its news index, two editors, products."""
from __future__ import annotations

import io

import pytest
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images.models import Image

from cms import services
from cms.articles import services as news
from tests import factories

OTHER_COMMUNE = "16941"  # Xã Nghĩa Đàn, Nghệ An


@pytest.fixture
def commune_page(producer_page):
    return producer_page.get_parent().specific


@pytest.fixture
def news_index(commune_page):
    return news.news_index_get_or_create(commune_page=commune_page)


@pytest.fixture
def product(make_listing):
    return make_listing(name="Mật ong bạc hà", price_vnd=120000, stars=4).product


@pytest.fixture
def other_product(db):
    page = factories.producer_page(commune=factories.commune(OTHER_COMMUNE))
    return factories.listing(producer_page=page, name="Cam Vinh", price_vnd=175000).product


@pytest.fixture
def editors(commune_page):
    services.roles_setup()
    first = factories.UserFactory(username="bientap.mot", email="mot@example.vn")
    second = factories.UserFactory(username="bientap.hai", email="hai@example.vn")
    for user in (first, second):
        services.editor_assign(user=user, commune_page=commune_page)
    return first, second


def small_image(label: str = "anh") -> Image:
    picture = PILImage.new("RGB", (320, 200), (120, 160, 90))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=70)
    return Image.objects.create(title=label, file=ImageFile(buffer, name=f"{label}.jpg"))


def promotion(news_index, *, product=None, title="Mật ong bạc hà mùa mới", publish=True, **kwargs):
    body = [("paragraph", "<p>Mùa mật mới đã về.</p>")]
    if product is not None:
        body.append(("product", {"product": product, "note": "Đặt ngay"}))
    return news.article_create(news_index=news_index, title=title, intro="Mật ong bạc hà Gia Phú mùa mới.", body=body,
                               kind="promotion", publish=publish, **kwargs)


@pytest.fixture(autouse=True)
def _media(tmp_media):
    pass
