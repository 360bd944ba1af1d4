"""The search interfaces of DESIGN.md: `search_products --json`, `rebuild_search_index`,
`GET /api/v1/search/` (+ autocomplete) and the /tim-kiem/ page. Bad input always gets a clear
answer, never a 500."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from search.backends.base import SearchUnavailable
from search.backends.database import DatabaseBackend
from search.models import Synonym

from .test_search_backends import DAN_PHUONG, GIA_PHU, publish

pytestmark = pytest.mark.django_db
FACET_NAMES = {"province", "commune", "category", "ocop_stars", "price"}


@pytest.fixture
def catalogue(db):
    Synonym.objects.create(terms="macca, mắc ca")
    products = [
        publish("Mật ong bạc hà", "Mật ong nguyên chất.", GIA_PHU, "thuc-pham", 280000, 4),
        publish("Gạo Séng Cù", "Gạo đặc sản vùng cao.", GIA_PHU, "nong-san", 35000, 3),
        publish("Bánh tẻ Chàng Sơn", "Bánh gói lá dong.", DAN_PHUONG, "banh-keo", 40000, 5),
        publish("Hạt mắc ca", "Mắc ca sấy.", DAN_PHUONG, "hat", 250000, None),
    ]
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out, stderr=io.StringIO())
    assert "4 sản phẩm" in out.getvalue()
    return products


def run_json(*args) -> dict:
    out = io.StringIO()
    call_command("search_products", *args, "--json", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def assert_shape(body: dict) -> None:
    assert isinstance(body["total"], int) and set(body["facets"]) == FACET_NAMES
    for item in body["results"]:
        assert set(item) == {"sku", "name", "commune_code", "province_code", "price_vnd", "ocop_stars", "score"}
        assert isinstance(item["sku"], str) and isinstance(item["price_vnd"], int) and isinstance(item["score"], float)
        assert item["ocop_stars"] is None or isinstance(item["ocop_stars"], int)
    for values in body["facets"].values():
        for facet in values:
            assert set(facet) == {"value", "label", "count"}
            assert isinstance(facet["value"], str) and isinstance(facet["count"], int)


def test_command_json_has_the_documented_shape(catalogue):
    body = run_json("mat ong")
    assert set(body) == {"total", "results", "facets"}
    assert_shape(body)
    assert body["total"] == 1 and body["results"][0]["name"] == "Mật ong bạc hà"
    assert body["results"][0]["commune_code"] == "02923" and body["results"][0]["province_code"] == "15"
    assert body["results"][0]["ocop_stars"] == 4 and body["results"][0]["price_vnd"] == 280000
    assert {f["value"] for f in body["facets"]["province"]} == {"15"}


def test_command_filters_and_limit(catalogue):
    assert run_json("", "--province", "01")["total"] == 2
    assert [r["name"] for r in run_json("", "--commune", "09784", "--stars", "5")["results"]] == ["Bánh tẻ Chàng Sơn"]
    assert [r["name"] for r in run_json("", "--category", "nong-san")["results"]] == ["Gạo Séng Cù"]
    assert len(run_json("", "--limit", "2")["results"]) == 2 and run_json("", "--limit", "2")["total"] == 4
    assert run_json("macca")["results"][0]["name"] == "Hạt mắc ca"
    assert run_json("", "--province", "1")["total"] == 0  # codes keep their leading zeros


def test_command_plain_output(catalogue):
    out = io.StringIO()
    call_command("search_products", "tra mang", stdout=out)
    assert "0 sản phẩm" in out.getvalue()
    out = io.StringIO()
    call_command("search_products", "gao", stdout=out)
    assert "Gạo Séng Cù" in out.getvalue()


def test_api_answers_like_the_command(client, catalogue):
    body = client.get("/api/v1/search/", {"q": "mật ong", "province": "15"}).json()
    assert_shape(body)
    assert {k: body[k] for k in ("total", "results", "facets")} == run_json("mật ong", "--province", "15")
    assert body["page"] == 1 and body["pages"] == 1
    assert client.get("/api/v1/search/", {"stars": "5"}).json()["results"][0]["name"] == "Bánh tẻ Chàng Sơn"
    assert client.get("/api/v1/search/", {"commune": "02923", "category": "nong-san"}).json()["total"] == 1


def test_api_did_you_mean_and_autocomplete(client, catalogue):
    body = client.get("/api/v1/search/", {"q": "banh ter"}).json()
    assert body["results"][0]["name"] == "Bánh tẻ Chàng Sơn" and body["did_you_mean"] == "bánh tẻ"
    suggestions = client.get("/api/v1/search/autocomplete/", {"q": "mat o"}).json()["suggestions"]
    assert suggestions[0]["text"] == "Mật ong bạc hà"
    assert client.get("/api/v1/search/autocomplete/", {"q": ""}).json() == {"suggestions": []}


BAD_QUERIES = [
    "", " ", "x" * 10000, "🍯🍯🍯", '"', "*", "NEAR(", "NEAR(mat ong", "OR", "mật OR", "AND NOT", "title:(", "name:(mật",
    "蜂蜜 mật ong", "мёд mật", "'; DROP TABLE catalog_product; --", "((((", "\\", "%", "_", "mat*", "\u200b", "\x00",
]


@pytest.mark.parametrize("q", BAD_QUERIES)
def test_api_bad_queries_get_a_clear_answer(client, catalogue, q):
    response = client.get("/api/v1/search/", {"q": q})
    assert response.status_code == 200
    body = response.json()
    assert_shape(body)
    assert body["total"] > 0 or body["message"]
    assert client.get("/api/v1/search/autocomplete/", {"q": q}).status_code == 200


@pytest.mark.parametrize("query_string", [
    "q=%FF%FE%FD", "q=m%E1t", "q=%C3", "page=-1", "page=0", "page=abc", "page=99999999999999999999", "page=50",
    "stars=-3", "stars=abc", "stars=9", "province=99", "province=abc", "province=%00", "commune=00000", "category=khong-co",
    "category=%3Cscript%3E", "price=1-2", "sort=drop", "q=mat&q=ong", "in_stock=maybe",
])
def test_api_bad_parameters_get_a_clear_answer(client, catalogue, query_string):
    response = client.get(f"/api/v1/search/?{query_string}")
    assert response.status_code == 200
    body = response.json()
    assert_shape(body)
    assert body["total"] >= 0 and (body["results"] or body["message"])


def test_api_friendly_message_for_bad_page_and_unknown_facet(client, catalogue):
    body = client.get("/api/v1/search/?page=-2&q=gao").json()
    assert body["page"] == 1 and body["results"][0]["name"] == "Gạo Séng Cù" and "trang" in body["message"]
    body = client.get("/api/v1/search/?province=99").json()
    assert body["total"] == 0 and "Không tìm thấy" in body["message"]


def test_search_service_down_is_a_clear_message(client, catalogue, monkeypatch):
    def down(self, query):
        raise SearchUnavailable("connection refused")

    monkeypatch.setattr(DatabaseBackend, "search", down)
    response = client.get("/api/v1/search/", {"q": "mat ong"})
    assert response.status_code == 503 and "Tạm thời không tìm kiếm được" in response.json()["detail"]
    page = client.get("/tim-kiem/", {"q": "mat ong"})
    assert page.status_code == 503 and "Tạm thời không tìm kiếm được" in page.content.decode()


def test_search_page_works_without_javascript(client, catalogue):
    html = client.get("/tim-kiem/", {"q": "banh"}).content.decode()
    # the words that matched are marked, whatever diacritics the buyer typed
    assert "<mark>Bánh</mark> tẻ Chàng Sơn" in html and "<script" not in html.split("</header>", 1)[1]
    html = client.get("/tim-kiem/").content.decode()
    for name in ("Mật ong bạc hà", "Gạo Séng Cù", "Bánh tẻ Chàng Sơn"):
        assert name in html
    assert 'href="?province=01"' in html and "(2)" in html  # facets are links with counts
    assert 'href="?sort=price"' in html
    html = client.get("/tim-kiem/", {"province": "01"}).content.decode()
    assert "Bánh tẻ Chàng Sơn" in html and "Gạo Séng Cù" not in html
    assert "Phù hợp nhất" in html and "Tỉnh/thành" in html and "Hạng sao OCOP" in html
    english = client.get("/en/tim-kiem/", {"q": "gao"})
    assert english.status_code == 200
    html = english.content.decode()
    assert "Best match" in html and "Province/city" in html and "OCOP stars" in html and "stars and up" in html
    assert "No matching products" in client.get("/en/tim-kiem/", {"q": "qqqzzzxxx"}).content.decode()


def test_search_page_paginates_and_handles_bad_input(client, catalogue):
    html = client.get("/tim-kiem/?page=2&q=").content.decode()
    assert "Không có trang 2: chỉ có 1 trang kết quả." in html
    for query_string in ["q=%FF", "page=-1", "q=" + "x" * 10000, "q=NEAR(", "stars=abc", "q=🍯"]:
        response = client.get(f"/tim-kiem/?{query_string}")
        assert response.status_code == 200, query_string


def test_header_has_a_plain_search_form(client, catalogue):
    html = client.get("/tim-kiem/", {"q": "gạo"}).content.decode()
    assert 'action="/tim-kiem/" method="get" role="search"' in html and 'value="gạo"' in html


def test_operators_edit_synonyms_in_the_wagtail_admin(client, catalogue):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("vanhanh-test", "v@example.com", "mat-khau-an-toan-123")
    client.force_login(admin)
    response = client.get("/admin/snippets/search/synonym/")
    assert response.status_code == 200 and "macca, mắc ca" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_synonym_groups_are_read_once_and_forgotten_when_a_synonym_changes(django_assert_num_queries):
    from search import analysis

    Synonym.objects.create(terms="macca, mắc ca")
    assert analysis.load_synonyms() == [[("macca",), ("mac", "ca")]]
    with django_assert_num_queries(0):  # every search reads them: from memory after the first
        assert analysis.load_synonyms() == [[("macca",), ("mac", "ca")]]
    Synonym.objects.create(terms="sầu riêng, durian")
    assert analysis.load_synonyms() == [[("macca",), ("mac", "ca")], [("sau", "rieng"), ("durian",)]]
    Synonym.objects.all().delete()
    assert analysis.load_synonyms() == []
