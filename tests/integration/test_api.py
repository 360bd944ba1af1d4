import pytest

from marketplace.catalog import services as catalog
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(make_listing):
    other = factories.producer_page(commune=factories.commune("09784"))  # Đan Phượng, Hà Nội
    return {
        "honey": make_listing(name="Mật ong bạc hà", stars=4, price_vnd=280000, stock=7,
                              skus=[catalog.SkuData("GP-MO-500", "chai 500ml", 280000, 650),
                                    catalog.SkuData("GP-MO-1L", "chai 1 lít", 520000, 1300)]),
        "rice": make_listing(name="Gạo Séng Cù", stars=3, category="nong-san"),
        "cake": factories.listing(producer_page=other, name="Bánh tẻ Chàng Sơn", stars=5),
        "draft": make_listing(name="Chưa duyệt", publish=False),
    }


def test_products_list_paginates_skus_with_the_contract_fields(client, catalogue):
    body = client.get("/api/v1/products/", {"page_size": 2}).json()
    assert body["count"] == 4  # 2 + 1 + 1 SKUs; the unpublished listing is absent
    assert body["next"] and body["previous"] is None and len(body["results"]) == 2
    item = client.get("/api/v1/products/GP-MO-500/").json()
    assert item == item | {
        "sku": "GP-MO-500", "name": "Mật ong bạc hà", "unit": "chai 500ml", "price_vnd": 280000, "stock": 7,
        "ocop_stars": 4, "commune_code": "02923", "province_code": "15",
    }
    assert item["url"].endswith(catalogue["honey"].url)


@pytest.mark.parametrize("params, expected", [
    ({"province": "01"}, {"Bánh tẻ Chàng Sơn"}),
    ({"commune": "02923"}, {"Mật ong bạc hà", "Gạo Séng Cù"}),
    ({"category": "nong-san"}, {"Gạo Séng Cù"}),
    ({"stars": 4}, {"Mật ong bạc hà", "Bánh tẻ Chàng Sơn"}),
    ({"stars": 5, "province": "01"}, {"Bánh tẻ Chàng Sơn"}),
])
def test_products_filters(client, catalogue, params, expected):
    results = client.get("/api/v1/products/", params).json()["results"]
    assert {r["name"] for r in results} == expected


def test_unknown_sku_is_404_and_bad_parameters_are_400_with_a_message(client, catalogue):
    assert client.get("/api/v1/products/NOPE/").status_code == 404
    response = client.get("/api/v1/products/", {"stars": "nhiều"})
    assert response.status_code == 400 and "detail" in response.json()
    assert client.get("/api/v1/products/", {"page_size": 10000}).json()["count"] == 4  # capped, not an error
    assert client.get("/api/v1/products/", {"page": 99}).status_code == 404


def test_query_count_does_not_grow_with_page_size(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        client.get("/api/v1/products/", {"page_size": 500})


def test_openapi_schema_describes_the_products_endpoints(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/products/" in paths and "/api/v1/products/{sku}/" in paths
    assert {"/api/v1/search/", "/api/v1/search/autocomplete/"} <= paths.keys()
    parameters = {p["name"] for p in paths["/api/v1/search/"]["get"]["parameters"]}
    assert {"q", "province", "commune", "category", "stars", "price", "sort", "page"} <= parameters
    assert set(paths["/api/v1/search/"]["get"]["responses"]) == {"200", "503"}


def test_search_answers_have_the_shape_the_schema_describes(client, catalogue):
    from search.serializers import FacetsSchema, SearchAnswerSchema, SearchHitSchema
    from search.services import search_rebuild

    search_rebuild()
    body = client.get("/api/v1/search/", {"q": "mat ong"}).json()
    assert body["total"] and set(body) == set(SearchAnswerSchema().fields)
    assert set(body["results"][0]) == set(SearchHitSchema().fields)
    assert set(body["facets"]) == set(FacetsSchema().fields)
    suggestions = client.get("/api/v1/search/autocomplete/", {"q": "mat o"}).json()["suggestions"]
    assert suggestions and set(suggestions[0]) == {"text", "url"}


def test_sitemap_lists_every_published_product_page(client, catalogue):
    xml = client.get("/sitemap.xml").content.decode()
    assert catalogue["honey"].url in xml and catalogue["cake"].url in xml
    assert "chua-duyet" not in xml
