"""The one JSON shape of a search answer (DESIGN.md, `search_products --json`), shared by the
command and the API; and its description for the OpenAPI schema (the `*Schema` serializers
document the shape; the functions build it, and a test keeps the two in step)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from .backends.base import FACETS, PRICE_RANGES, SearchResult, Sort, Suggestion


def result_to_json(result: SearchResult) -> dict:
    return {
        "total": result.total,
        "results": [
            {
                "sku": hit.sku, "name": hit.name, "commune_code": hit.commune_code, "province_code": hit.province_code,
                "price_vnd": int(hit.price_vnd), "ocop_stars": hit.ocop_stars, "score": float(hit.score),
            }
            for hit in result.results
        ],
        "facets": {
            name: [{"value": facet.value, "label": facet.label, "count": facet.count} for facet in result.facets.get(name, [])]
            for name in FACETS
        },
    }


def suggestions_to_json(suggestions: list[Suggestion]) -> list[dict]:
    return [{"text": s.text, "url": s.url} for s in suggestions]


class FacetValueSchema(serializers.Serializer):
    value = serializers.CharField(help_text="mã tỉnh/xã, slug ngành hàng, số sao hoặc mã khoảng giá")
    label = serializers.CharField()
    count = serializers.IntegerField()


class FacetsSchema(serializers.Serializer):
    province = FacetValueSchema(many=True)
    commune = FacetValueSchema(many=True, help_text="cả nước: 40 xã nhiều kết quả nhất; khi đã chọn tỉnh: mọi xã của tỉnh")
    category = FacetValueSchema(many=True)
    ocop_stars = FacetValueSchema(many=True, help_text="từ N sao trở lên")
    price = FacetValueSchema(many=True)


class SearchHitSchema(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    commune_code = serializers.CharField()
    province_code = serializers.CharField()
    price_vnd = serializers.IntegerField(help_text="đồng")
    ocop_stars = serializers.IntegerField(allow_null=True)
    score = serializers.FloatField()


class SearchAnswerSchema(serializers.Serializer):
    total = serializers.IntegerField()
    results = SearchHitSchema(many=True)
    facets = FacetsSchema()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    did_you_mean = serializers.CharField(allow_null=True)
    message = serializers.CharField(allow_null=True, help_text="tham số bị bỏ qua, không có kết quả…")


class SuggestionSchema(serializers.Serializer):
    text = serializers.CharField()
    url = serializers.CharField()


class AutocompleteSchema(serializers.Serializer):
    suggestions = SuggestionSchema(many=True)


class UnavailableSchema(serializers.Serializer):
    detail = serializers.CharField(help_text="Tạm thời không tìm kiếm được…")


def _query(name: str, description: str, **kwargs) -> OpenApiParameter:
    return OpenApiParameter(name, location=OpenApiParameter.QUERY, description=description, **kwargs)


SEARCH_PARAMETERS = [
    _query("q", "từ khoá, có dấu hoặc không dấu (tối đa 200 ký tự)", type=str),
    _query("province", "mã tỉnh/thành (2025), ví dụ 15", type=str),
    _query("commune", "mã xã/phường (2025), ví dụ 02923", type=str),
    _query("category", "slug ngành hàng", type=str),
    _query("stars", "hạng sao OCOP tối thiểu", type=int, enum=[3, 4, 5]),
    _query("price", "khoảng giá", type=str, enum=[r.key for r in PRICE_RANGES]),
    _query("sort", "cách sắp xếp", type=str, enum=[s.value for s in Sort]),
    _query("in_stock", "chỉ sản phẩm còn hàng", type=bool),
    _query("page", "trang (20 sản phẩm mỗi trang)", type=int),
]
AUTOCOMPLETE_PARAMETERS = [_query("q", "những chữ đã gõ", type=str)]
