"""Fixtures: each fake platform on a free port, and an adapter speaking to it over real HTTP."""
from __future__ import annotations

import dataclasses

import pytest

from connectors.base import ListingContent
from connectors.http import ConnectorSession
from connectors.platforms.nghean37 import NgheAn37Adapter
from connectors.platforms.postmart import PostMartAdapter
from connectors.platforms.voso import VosoAdapter
from tests.fakes.platforms import NgheAn37Fake, PostMartFake, VosoFake, running

# a "timeout" fault sleeps past the client's read timeout
FAKE_OPTIONS = {"rate_limits": False, "timeout_sleep": 0.6, "slow_sleep": 0.05}
CLIENT_TIMEOUT = (1.0, 0.3)

CONTENT = ListingContent(
    sku="GP-CHUOI-200", name="Chuối sấy dẻo Gia Phú — túi 200g",
    description="Chuối tiêu chín cây, sấy dẻo không đường.\n\nBảo quản nơi khô ráo.", category_name="Thực phẩm",
    unit="túi", price_vnd=45_000, stock=30, weight_gram=220, images=("https://example.vn/media/chuoi-1.jpg",),
    province_code="15", commune_code="02923", ocop_stars=4,
)


def content(**changes) -> ListingContent:
    return dataclasses.replace(CONTENT, **changes)


@pytest.fixture
def session():
    with ConnectorSession(timeout=CLIENT_TIMEOUT) as s:
        yield s


@pytest.fixture
def postmart():
    with running(PostMartFake(**FAKE_OPTIONS)) as fake:
        yield fake


@pytest.fixture
def pm(postmart, session):
    return PostMartAdapter(base_url=postmart.url, client_id=postmart.client_id, client_secret=postmart.client_secret,
                           session=session)


@pytest.fixture
def voso():
    with running(VosoFake(**FAKE_OPTIONS)) as fake:
        yield fake


@pytest.fixture
def vs(voso, session):
    return VosoAdapter(base_url=voso.url, app_key=voso.app_key, app_secret=voso.app_secret, shop_id=voso.shop_id,
                       session=session)


@pytest.fixture
def nghean37():
    with running(NgheAn37Fake(**FAKE_OPTIONS)) as fake:
        yield fake


@pytest.fixture
def na(nghean37, session):
    return NgheAn37Adapter(base_url=nghean37.url, api_key=nghean37.key_for("02923"), commune_code="02923",
                           session=session)
