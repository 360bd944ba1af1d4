"""The search backend interface (after Wagtail's search backends).

A backend indexes catalogue products by id and answers `SearchQuery`s with `SearchResult`s.
Backends differ in engine, not in behaviour: the shared contract tests in
tests/contracts/test_search_backends.py hold every backend to the same answers. A backend
that lacks a feature raises `NotImplementedError`; a backend whose service is unreachable
raises `SearchUnavailable` (callers show a friendly message, writers retry later).
"""
from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from django.utils.translation import gettext_noop

if TYPE_CHECKING:
    from ..documents import ProductDocument

Progress = Callable[[int, int], None]  # (done, total)


class SearchUnavailable(Exception):
    """The search service cannot answer now (down, timed out, locked)."""


class Sort(enum.StrEnum):
    RELEVANCE = "relevance"
    PRICE = "price"
    PRICE_DESC = "-price"
    NEWEST = "newest"
    STARS = "stars"


@dataclasses.dataclass(frozen=True)
class PriceRange:
    key: str
    label: str
    minimum: int | None  # inclusive
    maximum: int | None  # exclusive


# Labels are data (the API answers them in Vietnamese); the page shows them translated.
PRICE_RANGES: tuple[PriceRange, ...] = (
    PriceRange("0-100000", gettext_noop("Dưới 100.000 ₫"), None, 100_000),
    PriceRange("100000-300000", gettext_noop("100.000 – 300.000 ₫"), 100_000, 300_000),
    PriceRange("300000-1000000", gettext_noop("300.000 – 1.000.000 ₫"), 300_000, 1_000_000),
    PriceRange("1000000-", gettext_noop("Từ 1.000.000 ₫"), 1_000_000, None),
)
STARS_LABELS = {"5": gettext_noop("Từ 5 sao"), "4": gettext_noop("Từ 4 sao"), "3": gettext_noop("Từ 3 sao")}
PRICE_RANGES_BY_KEY = {price_range.key: price_range for price_range in PRICE_RANGES}
FACETS = ("province", "commune", "category", "ocop_stars", "price")
# Values per facet, most frequent first. Once a province (or commune) is chosen: every commune
# of the largest province (168, Hồ Chí Minh City). Nationwide: the 40 communes with the most
# matches, also how many choices the search page links (views.PAGE_FACET_LINKS); of 3,321
# communes a longer list is a directory nobody reads (the province facet is the way down), and
# every search decodes and reads it.
FACET_LIMIT = 200
NATIONWIDE_COMMUNE_LIMIT = 40


@dataclasses.dataclass(frozen=True)
class SearchQuery:
    """What a buyer asked for. `text` is raw (the backend folds it); filters are exact."""

    text: str = ""
    province: str | None = None
    commune: str | None = None
    category: str | None = None
    min_stars: int | None = None
    price: PriceRange | None = None
    in_stock: bool = False
    sort: Sort = Sort.RELEVANCE
    page: int = 1
    per_page: int = 20
    facets: bool = True

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclasses.dataclass(slots=True)  # not frozen: that costs a call per field, for every hit of every search
class SearchHit:
    product_id: int
    sku: str
    name: str
    price_vnd: int
    stock: int
    ocop_stars: int | None
    commune_code: str
    commune_name: str
    province_code: str
    province_name: str
    category_slug: str
    url: str
    score: float
    highlight: str = ""  # the name as safe HTML, the words that matched in <mark>; "" when none did


def commune_facet_limit(query: SearchQuery) -> int:
    return FACET_LIMIT if query.province or query.commune else NATIONWIDE_COMMUNE_LIMIT


class FacetValue(NamedTuple):  # a tuple: hundreds are made per search (one per commune)
    value: str
    label: str
    count: int


@dataclasses.dataclass(frozen=True)
class SearchResult:
    results: list[SearchHit]
    total: int
    facets: dict[str, list[FacetValue]]
    did_you_mean: str | None = None
    page: int = 1
    per_page: int = 20

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclasses.dataclass(frozen=True)
class Suggestion:
    text: str
    product_id: int
    url: str


class SearchBackend:
    """Base class: every method raises NotImplementedError until a backend provides it."""

    name: str = ""

    def index_products(self, product_ids: Iterable[int]) -> None:
        """Bring these products' documents up to date: index the indexable ones (published,
        with an active SKU), remove the others. Idempotent."""
        raise NotImplementedError

    def remove_products(self, product_ids: Iterable[int]) -> None:
        """Remove these products from the index (missing ones are ignored)."""
        raise NotImplementedError

    def rebuild(self, progress: Progress | None = None) -> int:
        """Re-index every indexable product; returns how many were indexed. Search keeps
        answering (from the old index) while it runs. Backends provide `rebuild_from`."""
        from ..documents import indexable_products, iter_all_documents

        return self.rebuild_from(iter_all_documents(), total=indexable_products().count(), progress=progress)

    def rebuild_from(self, batches: Iterable[Sequence["ProductDocument"]], total: int | None = None,
                     progress: Progress | None = None) -> int:
        """The bulk path of `rebuild`: replace the whole index with these documents (already
        built, in batches); returns how many were indexed. The search benchmark feeds it
        generated documents."""
        raise NotImplementedError

    def search(self, query: SearchQuery) -> SearchResult:
        raise NotImplementedError

    def autocomplete(self, prefix: str, limit: int = 8) -> Sequence[Suggestion]:
        """Product names completing what the buyer has typed so far (last word as a prefix)."""
        raise NotImplementedError
