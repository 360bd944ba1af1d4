"""Search API and page: parse, call one service, respond. Every input gets a clear answer."""
from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from .backends.base import FACETS, NATIONWIDE_COMMUNE_LIMIT, PRICE_RANGES, FacetValue, SearchUnavailable, Sort
from .params import query_from_params
from . import serializers as schema
from .serializers import result_to_json, suggestions_to_json
from .services import search_autocomplete, search_products

logger = logging.getLogger(__name__)
UNAVAILABLE = gettext_lazy("Tạm thời không tìm kiếm được, bạn vui lòng thử lại sau ít phút.")
NO_RESULTS = gettext_lazy("Không tìm thấy sản phẩm phù hợp. Hãy thử từ khoá khác hoặc bỏ bớt bộ lọc.")
PAGE_FACET_LINKS = NATIONWIDE_COMMUNE_LIMIT  # choices linked per facet: the nationwide commune list, whole
EMPTY_QUERY = gettext_lazy("Nhập tên sản phẩm, đặc sản hoặc tên xã để tìm.")


@extend_schema(summary="Tìm sản phẩm", parameters=schema.SEARCH_PARAMETERS,
               responses={200: schema.SearchAnswerSchema, 503: schema.UnavailableSchema})
@api_view(["GET"])
def api_search(request: Request) -> Response:
    query, messages = query_from_params(request.query_params)
    try:
        result = search_products(query=query)
    except SearchUnavailable:
        return Response({"detail": UNAVAILABLE, "total": 0, "results": [], "facets": {name: [] for name in FACETS}},
                        status=503)
    messages += _result_messages(result, query.text or _has_filters(request.query_params))
    return Response(result_to_json(result) | {
        "page": result.page, "pages": result.pages, "did_you_mean": result.did_you_mean,
        "message": " ".join(map(str, messages)) or None,
    })


@extend_schema(summary="Gợi ý khi đang gõ", parameters=schema.AUTOCOMPLETE_PARAMETERS,
               responses={200: schema.AutocompleteSchema, 503: schema.UnavailableSchema})
@api_view(["GET"])
def api_autocomplete(request: Request) -> Response:
    prefix = str(request.query_params.get("q", "")).replace("\x00", "")[:100]
    try:
        suggestions = list(search_autocomplete(prefix=prefix))
    except SearchUnavailable:
        return Response({"detail": UNAVAILABLE, "suggestions": []}, status=503)
    return Response({"suggestions": suggestions_to_json(suggestions)})


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
    messages += _result_messages(result, query.text or _has_filters(request.GET))
    context["result"] = result
    # The page links the most frequent choices of each facet (a nationwide query can have
    # thousands of communes; the API lists them all, up to the backend's cap).
    context["facet_groups"] = [(name, label, _page_values(name, result.facets.get(name, [])[:PAGE_FACET_LINKS]))
                               for name, label in _facet_labels()]
    return render(request, "search/search.html", context)


def _page_values(name: str, values: list[FacetValue]) -> list[FacetValue]:
    """Star and price choices in the page's language (their labels are fixed strings; place and
    category names are names)."""
    if name in ("ocop_stars", "price"):
        return [value._replace(label=_(value.label)) for value in values]
    return values


def _result_messages(result, asked: bool) -> list[str]:
    if not result.total:
        return [NO_RESULTS if asked else EMPTY_QUERY]
    if not result.results:
        return [_("Không có trang %(page)s: chỉ có %(pages)s trang kết quả.") % {"page": result.page, "pages": result.pages}]
    return []


def _has_filters(params) -> bool:
    return any(params.get(name) for name in ("province", "commune", "category", "stars", "price"))


def _facet_labels() -> list[tuple[str, str]]:
    return [("province", _("Tỉnh/thành")), ("commune", _("Xã/phường")), ("category", _("Ngành hàng")),
            ("ocop_stars", _("Hạng sao OCOP")), ("price", _("Khoảng giá"))]


def _sorts() -> list[tuple[str, str]]:
    return [(Sort.RELEVANCE.value, _("Phù hợp nhất")), (Sort.PRICE.value, _("Giá thấp")), (Sort.PRICE_DESC.value, _("Giá cao")),
            (Sort.NEWEST.value, _("Mới nhất")), (Sort.STARS.value, _("Nhiều sao"))]
