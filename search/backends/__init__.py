"""The backend registry: settings.SEARCH_BACKEND names one of these (explicit imports, no
dotted paths). The database backend is always present as the fallback."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import SearchBackend
from .database import DatabaseBackend
from .elasticsearch import ElasticsearchBackend

BACKENDS: dict[str, type[SearchBackend]] = {
    DatabaseBackend.name: DatabaseBackend,
    ElasticsearchBackend.name: ElasticsearchBackend,
}


def get_backend(name: str | None = None) -> SearchBackend:
    name = name or settings.SEARCH_BACKEND or DatabaseBackend.name
    try:
        return BACKENDS[name]()
    except KeyError:
        raise ImproperlyConfigured(
            f"SEARCH_BACKEND={name!r} is not available; choose one of: {', '.join(sorted(BACKENDS))}"
        ) from None
