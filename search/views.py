"""Search API and page: parse, call one service, respond. Every input gets a clear answer."""
from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .backends.base import FACETS, PRICE_RANGES, SearchUnavailable, Sort
from .params import query_from_params
from .serializers import result_to_json, suggestions_to_json
from .services import search_autocomplete, search_products

logger = logging.getLogger(__name__)
UNAVAILABLE = "Tạm thời không tìm kiếm được, bạn vui lòng thử lại sau ít phút."
NO_RESULTS = "Không tìm thấy sản phẩm phù hợp. Hãy thử từ khoá khác hoặc bỏ bớt bộ lọc."
PAGE_FACET_LINKS = 40
EMPTY_QUERY = "Nhập tên sản phẩm, đặc sản hoặc tên xã để tìm."


@require_GET
def api_search(request: HttpRequest) -> JsonResponse:
    query, messages = query_from_params(request.GET)
    try:
        result = search_products(query=query)
    except SearchUnavailable:
        return JsonResponse({"detail": UNAVAILABLE, "total": 0, "results": [], "facets": {name: [] for name in FACETS}},
                            status=503, json_dumps_params={"ensure_ascii": False})
    messages += _result_messages(result, query.text or _has_filters(request))
    body = result_to_json(result) | {
        "page": result.page, "pages": result.pages, "did_you_mean": result.did_you_mean,
        "message": " ".join(messages) or None,
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@require_GET
def api_autocomplete(request: HttpRequest) -> JsonResponse:
    prefix = str(request.GET.get("q", "")).replace("\x00", "")[:100]
    try:
        suggestions = list(search_autocomplete(prefix=prefix))
    except SearchUnavailable:
        return JsonResponse({"detail": UNAVAILABLE, "suggestions": []}, status=503, json_dumps_params={"ensure_ascii": False})
    return JsonResponse({"suggestions": suggestions_to_json(suggestions)}, json_dumps_params={"ensure_ascii": False})


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    query, messages = query_from_params(request.GET)
    context = {"query": query, "messages_": messages, "search_query": query.text, "sorts": _sorts(),
               "price_ranges": PRICE_RANGES}
    try:
        result = search_products(query=query)
    except SearchUnavailable:
        context["unavailable"] = UNAVAILABLE
        return render(request, "search/search.html", context, status=503)
    messages += _result_messages(result, query.text or _has_filters(request))
    context["result"] = result
    # The page links the most frequent choices of each facet (a nationwide query can have
    # thousands of communes; the API lists them all, up to the backend's cap).
    context["facet_groups"] = [(name, label, result.facets.get(name, [])[:PAGE_FACET_LINKS]) for name, label in _facet_labels()]
    return render(request, "search/search.html", context)


def _result_messages(result, asked: bool) -> list[str]:
    if not result.total:
        return [NO_RESULTS if asked else EMPTY_QUERY]
    if not result.results:
        return [f"Không có trang {result.page}: chỉ có {result.pages} trang kết quả."]
    return []


def _has_filters(request: HttpRequest) -> bool:
    return any(request.GET.get(name) for name in ("province", "commune", "category", "stars", "price"))


def _facet_labels() -> list[tuple[str, str]]:
    return [("province", "Tỉnh/thành"), ("commune", "Xã/phường"), ("category", "Ngành hàng"),
            ("ocop_stars", "Hạng sao OCOP"), ("price", "Khoảng giá")]


def _sorts() -> list[tuple[str, str]]:
    return [(Sort.RELEVANCE.value, "Phù hợp nhất"), (Sort.PRICE.value, "Giá thấp"), (Sort.PRICE_DESC.value, "Giá cao"),
            (Sort.NEWEST.value, "Mới nhất"), (Sort.STARS.value, "Nhiều sao")]
