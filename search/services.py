"""Product search: what the command, the API and the search page call (keyword-only, typed)."""
from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from .backends import get_backend
from .backends.base import Progress, SearchBackend, SearchQuery, SearchResult, Suggestion

logger = logging.getLogger(__name__)


def search_products(*, query: SearchQuery, backend: SearchBackend | None = None) -> SearchResult:
    """Raises SearchUnavailable when the search service cannot answer."""
    return (backend or get_backend()).search(query)


def search_autocomplete(*, prefix: str, limit: int = 8, backend: SearchBackend | None = None) -> Sequence[Suggestion]:
    return (backend or get_backend()).autocomplete(prefix, limit)


def search_index_products(*, product_ids: Iterable[int], backend: SearchBackend | None = None) -> None:
    (backend or get_backend()).index_products(product_ids)


def search_remove_products(*, product_ids: Iterable[int], backend: SearchBackend | None = None) -> None:
    (backend or get_backend()).remove_products(product_ids)


def search_rebuild(*, progress: Progress | None = None, backend: SearchBackend | None = None) -> int:
    return (backend or get_backend()).rebuild(progress)
