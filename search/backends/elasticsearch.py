"""Elasticsearch / OpenSearch backend, on elasticsearch-dsl 8.

Analysis is set per field (some servers ignore an index-level default analyzer): `vi` is the
standard tokenizer + lowercase + asciifolding (which folds đ → d as well as the diacritics);
`name.prefix` adds an edge n-gram filter at index time for autocomplete. Query words go
through the same synonym expansion as the database backend; each word may be a typo away
(`fuzziness: AUTO`) when the words as typed find nothing better. A rebuild writes a new index
and swaps the alias in one request, so search keeps answering from the old index meanwhile.

The 8.x client sends compatibility media types (`application/vnd.elasticsearch+json;
compatible-with=8`); `PlainJsonNode` sends plain JSON instead (ndjson for bulk), which every
Elasticsearch 7/8 and OpenSearch server accepts.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from django.conf import settings
from elastic_transport import Urllib3HttpNode
from elasticsearch import ApiError, Elasticsearch, NotFoundError, OrjsonSerializer, TransportError, helpers
from elasticsearch.exceptions import HTTP_EXCEPTIONS
from elasticsearch_dsl import Date, Document, Index, Integer, Keyword, Long, Text, analyzer, token_filter

from .. import analysis
from ..analysis import Clause
from ..documents import ProductDocument, documents_for
from .base import (
    FACET_LIMIT, PRICE_RANGES, FacetValue, Progress, SearchBackend, SearchHit, SearchQuery, SearchResult, SearchUnavailable, Sort,
    STARS_LABELS, Suggestion, commune_facet_limit,
)

logger = logging.getLogger(__name__)
VI = analyzer("vi", tokenizer="standard", filter=["lowercase", "asciifolding"])
VI_PREFIX = analyzer("vi_prefix", tokenizer="standard",
                     filter=["lowercase", "asciifolding", token_filter("vi_edge", type="edge_ngram", min_gram=1, max_gram=20)])
FIELDS = ["name^10", "place^4", "body"]
NAME_MATCH, PHRASE_MATCH = 200.0, 100.0  # constant score bonuses, far above any BM25 score
SORTS = {
    Sort.RELEVANCE: ["_score", {"stars": {"order": "desc", "missing": "_last"}}, {"product_id": "asc"}],
    Sort.PRICE: [{"price_vnd": "asc"}, "_score", {"product_id": "asc"}],
    Sort.PRICE_DESC: [{"price_vnd": "desc"}, "_score", {"product_id": "asc"}],
    Sort.NEWEST: [{"created_at": "desc"}, {"product_id": "desc"}],
    Sort.STARS: [{"stars": {"order": "desc", "missing": "_last"}}, "_score", {"product_id": "asc"}],
}
UNAVAILABLE = (TransportError, ApiError)
JSON_HEADERS = {"accept": "application/json", "content-type": "application/json"}
MAX_RETRIES = 2


class PlainJsonNode(Urllib3HttpNode):
    def perform_request(self, method, target, body=None, headers=None, request_timeout=None):
        headers = dict(headers or {})
        for key in [k for k in headers if k.lower() in ("accept", "content-type")]:
            headers[key] = "application/x-ndjson" if "ndjson" in headers[key] else "application/json"
        return super().perform_request(method, target, body=body, headers=headers, request_timeout=request_timeout)


class ProductIndexDocument(Document):
    product_id = Long()
    name = Text(analyzer=VI, fields={"prefix": Text(analyzer=VI_PREFIX, search_analyzer=VI)})
    place = Text(analyzer=VI)
    body = Text(analyzer=VI)
    sku = Keyword()
    price_vnd = Long()
    stock = Integer()
    stars = Integer()
    province_code = Keyword()
    province_name = Keyword()
    commune_code = Keyword()
    commune_name = Keyword()
    category_slug = Keyword()
    category_name = Keyword()
    url = Keyword(index=False)
    # Facet keys "label<TAB>code": one terms aggregation gives both (a label sub-aggregation per
    # bucket tripled the answer, hundreds of communes long, that every search must read), and
    # the server's own bucket order (count, then key) is already the facets' order (count, then
    # label), so the answer is read as it comes, without sorting.
    province_label_code = Keyword()
    commune_label_code = Keyword()
    category_label_code = Keyword()
    created_at = Date()


def _source(document: ProductDocument) -> dict:
    return {
        "product_id": document.product_id, "name": document.name, "place": document.place_text,
        "body": document.description, "sku": document.sku, "price_vnd": document.price_vnd, "stock": document.stock,
        "stars": document.stars, "province_code": document.province_code, "province_name": document.province_name,
        "commune_code": document.commune_code, "commune_name": document.commune_name,
        "category_slug": document.category_slug, "category_name": document.category_name, "url": document.url,
        "created_at": document.created_at.isoformat(),
        "province_label_code": _label_code(document.province_name, document.province_code),
        "commune_label_code": _label_code(document.commune_name, document.commune_code),
        "category_label_code": _label_code(document.category_name, document.category_slug),
    }


def _label_code(label: str, code: str) -> str | None:
    return f"{label or code}\t{code}" if code else None  # no code, no facet value


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"

    def __init__(self, url: str | None = None, index: str | None = None, timeout: float = 5.0):
        self.url = url or settings.ELASTICSEARCH_URL
        self.alias = index or getattr(settings, "ELASTICSEARCH_INDEX", "ocop-products")
        self.search_path = f"/{quote(self.alias, safe='')}/_search"
        self.timeout = timeout
        # orjson reads an answer with hundreds of facet buckets several times faster than json.
        # No client-metadata header: it is telemetry for the server's vendor, rebuilt for every request.
        self.client = Elasticsearch(self.url, node_class=PlainJsonNode, request_timeout=timeout, retry_on_timeout=True,
                                    max_retries=MAX_RETRIES, serializer=OrjsonSerializer(), meta_header=False)

    # -- indexing ---------------------------------------------------------------------------
    def _new_index(self) -> str:
        name = f"{self.alias}-{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S%f}"
        index = Index(name, using=self.client)
        index.document(ProductIndexDocument)
        index.create()
        return name

    def _ensure_alias(self) -> None:
        if not self.client.indices.exists_alias(name=self.alias):
            name = self._new_index()
            self.client.indices.update_aliases(actions=[{"add": {"index": name, "alias": self.alias}}])

    def index_products(self, product_ids: Iterable[int]) -> None:
        ids = sorted(set(product_ids))
        if not ids:
            return
        documents = documents_for(ids)
        actions = [{"_op_type": "index", "_index": self.alias, "_id": pk, "_source": _source(documents[pk])}
                   if pk in documents else {"_op_type": "delete", "_index": self.alias, "_id": pk} for pk in ids]
        self._bulk(actions)

    def remove_products(self, product_ids: Iterable[int]) -> None:
        self._bulk([{"_op_type": "delete", "_index": self.alias, "_id": pk} for pk in set(product_ids)])

    def _bulk(self, actions: list[dict], index_ready: bool = False) -> None:
        try:
            if not index_ready:
                self._ensure_alias()
            helpers.bulk(self.client, actions, refresh=True, raise_on_error=False)
        except UNAVAILABLE as error:
            raise SearchUnavailable(str(error)) from error

    def rebuild_from(self, batches: Iterable[Sequence[ProductDocument]], total: int | None = None,
                     progress: Progress | None = None) -> int:
        done = 0
        if progress:
            progress(0, total or 0)
        try:
            name = self._new_index()
            for batch in batches:
                helpers.bulk(self.client, ({"_index": name, "_id": d.product_id, "_source": _source(d)} for d in batch))
                done += len(batch)
                if progress:
                    progress(done, total or done)
            self.client.indices.refresh(index=name)
            old = list(self.client.indices.get_alias(name=self.alias)) if self.client.indices.exists_alias(name=self.alias) else []
            self.client.indices.update_aliases(actions=[
                *[{"remove": {"index": index, "alias": self.alias}} for index in old],
                {"add": {"index": name, "alias": self.alias}},
            ])
            for index in old:
                self.client.indices.delete(index=index)
        except UNAVAILABLE as error:
            raise SearchUnavailable(str(error)) from error
        return done

    # -- searching --------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        try:
            return self._search(query)
        except NotFoundError:  # nothing indexed yet
            return SearchResult([], 0, {}, None, query.page, query.per_page)
        except UNAVAILABLE as error:
            logger.exception("elasticsearch search failed")
            raise SearchUnavailable(str(error)) from error

    def _search(self, query: SearchQuery) -> SearchResult:
        tokens = analysis.query_words(query.text)
        if not tokens:
            return self._run(query, [], phrase=(), fuzzy=False).result()
        clauses = analysis.expand(tokens, analysis.load_synonyms())
        literal = self._run(query, clauses, phrase=tuple(tokens), fuzzy=False)
        if literal.total and (len(tokens) == 1 or literal.best >= NAME_MATCH):
            return literal.result()
        fuzzy = self._run(query, clauses, phrase=(), fuzzy=True)
        suggestion = analysis.spell_like(clauses, fuzzy.best_name) if fuzzy.best_name else None
        corrected = fuzzy.best >= NAME_MATCH and analysis.few_changes(tokens, suggestion)
        if literal.total and not corrected:
            return literal.result()
        if not corrected and len(clauses) >= 4:
            relaxed = self._run(query, clauses, phrase=(), fuzzy=False, at_least=len(clauses) - 1)
            if relaxed.total:
                return relaxed.result()
        did_you_mean = suggestion if corrected and analysis.query_words(suggestion) != tokens else None
        return fuzzy.result(did_you_mean)

    def _run(self, query: SearchQuery, clauses: list[Clause], phrase: tuple[str, ...], fuzzy: bool,
             at_least: int | None = None) -> "_Answer":
        body: dict = {
            "query": {"bool": {"must": _text_query(clauses, phrase, fuzzy, at_least), "filter": _filters(query)}},
            "sort": SORTS[query.sort if clauses or query.sort != Sort.RELEVANCE else Sort.NEWEST],
            "from": query.offset, "size": query.per_page, "track_total_hits": True, "track_scores": True,
            "_source": HIT_FIELDS, "highlight": HIGHLIGHT,
        }
        aggs = _aggregations(commune_facet_limit(query)) if query.facets else {}
        by_score = query.sort == Sort.RELEVANCE or not clauses
        if not by_score:  # the best score of all matches, not of this page, in the same request
            aggs = {**aggs, "best": {"top_hits": {"size": 1, "_source": ["name"]}}}
        if aggs:
            body["aggs"] = aggs
        answer = self._search_request(body, FILTER_PATH)
        found, aggregations = answer["hits"], answer.get("aggregations", {})
        top = found if by_score else aggregations.get("best", {}).get("hits", {})
        best_name = top["hits"][0]["_source"]["name"] if top.get("hits") else None  # filter_path drops an empty list
        return _Answer(query, found.get("hits", []), found["total"]["value"], float(top.get("max_score") or 0.0), best_name,
                       aggregations if query.facets else {})

    def _search_request(self, body: dict, filter_path: str) -> dict:
        """POST <alias>/_search through the client's transport (pooling, retries, JSON), errors
        raised as the typed `client.search()` raises them. That method's own layer (parameter
        rewriting, compatibility media types that PlainJsonNode turns back, response wrapping)
        took about as long as reading the answer; every search makes one to three of these."""
        meta, answer = self.client.transport.perform_request(
            "POST", f"{self.search_path}?filter_path={filter_path}", headers=JSON_HEADERS, body=body,
            request_timeout=self.timeout, max_retries=MAX_RETRIES, retry_on_timeout=True)
        if not 200 <= meta.status < 300:
            raise HTTP_EXCEPTIONS.get(meta.status, ApiError)(message=str(answer)[:500], meta=meta, body=answer)
        return answer

    def autocomplete(self, prefix: str, limit: int = 8) -> Sequence[Suggestion]:
        tokens = analysis.query_words(prefix)
        if not tokens:
            return []
        typed = " ".join(tokens)
        body = {"query": {"match": {"name.prefix": {"query": typed, "operator": "and"}}}, "size": 50,
                "_source": ["product_id", "name", "url"]}
        try:
            answer = self._search_request(body, "hits.hits._source")
        except NotFoundError:
            return []
        except UNAVAILABLE as error:
            raise SearchUnavailable(str(error)) from error
        rows = [hit["_source"] for hit in answer.get("hits", {}).get("hits", ())]
        rows.sort(key=lambda row: not " ".join(analysis.words(row["name"])).startswith(typed))
        suggestions, seen = [], set()
        for row in rows:
            if row["name"] not in seen:
                seen.add(row["name"])
                suggestions.append(Suggestion(text=row["name"], product_id=row["product_id"], url=row.get("url", "")))
        return suggestions[:limit]


@dataclasses.dataclass
class _Answer:
    """One request's answer; its hits and facets are read only if it is the one returned (the
    typo path asks two or three times, and reading hundreds of facet buckets is not free)."""

    query: SearchQuery
    hits: list[dict]
    total: int
    best: float  # the best score of all matches, whatever the order
    best_name: str | None  # the name of that best match
    aggregations: dict

    def result(self, did_you_mean: str | None = None) -> SearchResult:
        facets = _facets(self.aggregations) if self.aggregations and self.total else {}
        if facets and not facets["province"]:
            _warn_old_index()
        return SearchResult([_hit(hit) for hit in self.hits], self.total, facets, did_you_mean, self.query.page,
                            self.query.per_page)


@functools.cache
def _warn_old_index() -> None:
    """Every document has a province: matches without a province facet mean an index built
    before the `*_label_code` fields (said once per process)."""
    logger.warning("the search index has no facet fields for places and categories: run "
                   "`python manage.py rebuild_search_index`")


def _alternative(phrase: tuple[str, ...], fuzzy: bool, fields: list[str]) -> dict:
    if len(phrase) > 1:
        return {"multi_match": {"query": " ".join(phrase), "type": "phrase", "fields": fields}}
    match: dict = {"query": phrase[0], "fields": fields}
    if fuzzy:
        match["fuzziness"] = "AUTO"
    return {"multi_match": match}


def _clauses(clauses: list[Clause], fuzzy: bool, fields: list[str]) -> list[dict]:
    return [{"bool": {"should": [_alternative(p, fuzzy, fields) for p in clause.alternatives], "minimum_should_match": 1}}
            for clause in clauses]


def _text_query(clauses: list[Clause], phrase: tuple[str, ...], fuzzy: bool, at_least: int | None = None) -> dict:
    if not clauses:
        return {"match_all": {}}
    should = [{"constant_score": {"filter": {"bool": {"must": _clauses(clauses, fuzzy, ["name"])}}, "boost": NAME_MATCH}}]
    if len(phrase) > 1:
        should.append({"constant_score": {"filter": {"multi_match": {"query": " ".join(phrase), "type": "phrase",
                                                                     "fields": ["name", "place", "body"]}},
                                          "boost": PHRASE_MATCH}})
    required = _clauses(clauses, fuzzy, FIELDS)
    if at_least is not None and at_least < len(clauses):
        required = [{"bool": {"should": required, "minimum_should_match": at_least}}]
    return {"bool": {"must": required, "should": should}}


def _filters(query: SearchQuery) -> list[dict]:
    filters: list[dict] = []
    for field, value in (("province_code", query.province), ("commune_code", query.commune), ("category_slug", query.category)):
        if value is not None:
            filters.append({"term": {field: value}})
    if query.min_stars is not None:
        filters.append({"range": {"stars": {"gte": query.min_stars}}})
    if query.price is not None:
        bounds = {key: value for key, value in (("gte", query.price.minimum), ("lt", query.price.maximum)) if value is not None}
        filters.append({"range": {"price_vnd": bounds}})
    if query.in_stock:
        filters.append({"range": {"stock": {"gt": 0}}})
    return filters


@functools.cache
def _aggregations(commune_limit: int) -> dict:
    """The facets' aggregations (cached, read only: the client serialises them)."""
    order = [{"_count": "desc"}, {"_key": "asc"}]  # by count, then label (the key starts with it)
    limits = {"province": FACET_LIMIT, "commune": commune_limit, "category": FACET_LIMIT}
    aggs: dict = {name: {"terms": {"field": f"{name}_label_code", "size": limits[name], "order": order}} for name in TERMS_FACETS}
    aggs["ocop_stars"] = {"filters": {"filters": {str(s): {"range": {"stars": {"gte": s}}} for s in (5, 4, 3)}}}
    ranges = []
    for price_range in PRICE_RANGES:
        bucket: dict = {"key": price_range.key}
        if price_range.minimum is not None:
            bucket["from"] = price_range.minimum
        if price_range.maximum is not None:
            bucket["to"] = price_range.maximum
        ranges.append(bucket)
    aggs["price"] = {"range": {"field": "price_vnd", "ranges": ranges}}
    return aggs


TERMS_FACETS = ("province", "commune", "category")
# Only what is read is asked for, and only what is read comes back: every search decodes its answer.
HIT_FIELDS = ["product_id", "sku", "name", "price_vnd", "stock", "stars", "commune_code", "commune_name",
              "province_code", "province_name", "category_slug", "url"]
FILTER_PATH = ",".join([
    "hits.total.value", "hits.max_score", "hits.hits._score", "hits.hits._source", "hits.hits.highlight",
    "aggregations.*.buckets", "aggregations.best.hits.max_score", "aggregations.best.hits.hits._source.name"])
MARK, END_MARK = "\ue000", "\ue001"  # private-use characters, not in names; <mark> tags once the name is escaped
HIGHLIGHT = {"fields": {"name": {"number_of_fragments": 0}}, "pre_tags": [MARK], "post_tags": [END_MARK]}


def _facets(aggregations: dict) -> dict[str, list[FacetValue]]:
    facets = {}
    for name in TERMS_FACETS:
        values = facets[name] = []
        for bucket in aggregations.get(name, {}).get("buckets", ()):
            label, _tab, code = bucket["key"].rpartition("\t")
            values.append(FacetValue._make((code, label, bucket["doc_count"])))
    stars = aggregations.get("ocop_stars", {}).get("buckets", {})
    facets["ocop_stars"] = [FacetValue(s, STARS_LABELS[s], stars[s]["doc_count"]) for s in ("5", "4", "3")
                            if stars.get(s, {}).get("doc_count")]
    price = {b["key"]: b["doc_count"] for b in aggregations.get("price", {}).get("buckets", ())}
    facets["price"] = [FacetValue(r.key, r.label, price[r.key]) for r in PRICE_RANGES if price.get(r.key)]
    return facets


def _hit(hit: dict) -> SearchHit:
    source = hit["_source"]
    marked = hit.get("highlight")
    return SearchHit(  # positional, in SearchHit's field order (20 per search)
        source["product_id"], source["sku"], source["name"], source["price_vnd"], source["stock"], source.get("stars"),
        source["commune_code"], source["commune_name"], source["province_code"], source["province_name"],
        source.get("category_slug", ""), source.get("url", ""), round(hit.get("_score") or 0.0, 6),
        analysis.marked_html(marked["name"][0], MARK, END_MARK) if marked else "",
    )
