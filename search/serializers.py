"""The one JSON shape of a search answer (DESIGN.md, `search_products --json`), shared by the
command and the API."""
from __future__ import annotations

from .backends.base import FACETS, SearchResult, Suggestion


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
