"""The embedded default: full-text search in the project's own database.

SQLite uses FTS5 (bm25 with column weights), PostgreSQL its full-text search (setweight A/B/C
and ts_rank_cd); both index text that Python has already folded (Vietnamese diacritics and
đ → d removed), and query text is folded the same way, so both match with or without
diacritics. Engine differences live in the two small `_Engine` classes below; everything else
(filters, facets, sorting, paging, typo tolerance, synonyms) is shared SQL.

Ranking, highest first: all query words in the name (+2), the words adjacent as typed (+1),
then the engine's relevance normalised to [0, 1).
"""
from __future__ import annotations

import dataclasses
import itertools
import logging
from collections.abc import Iterable, Sequence

from django.db import DatabaseError, connection, transaction

from .. import analysis
from ..analysis import Clause
from ..documents import ProductDocument, documents_for, indexable_products, iter_all_documents
from ..models import SearchDocument, SearchTerm
from .base import (
    PRICE_RANGES, FacetValue, Progress, SearchBackend, SearchHit, SearchQuery, SearchResult, SearchUnavailable, Sort,
    Suggestion,
)

logger = logging.getLogger(__name__)
DOC = "search_searchdocument"
HIT_COLUMNS = (
    "d.product_id, d.sku, d.name, d.price_vnd, d.stock, d.stars, d.commune_code, d.commune_name, "
    "d.province_code, d.province_name, d.category_slug, d.url"
)
ORDER_BY = {
    Sort.RELEVANCE: "m.score DESC, COALESCE(d.stars, 0) DESC, d.product_id",
    Sort.PRICE: "d.price_vnd ASC, m.score DESC, d.product_id",
    Sort.PRICE_DESC: "d.price_vnd DESC, m.score DESC, d.product_id",
    Sort.NEWEST: "d.created_at DESC, d.product_id DESC",
    Sort.STARS: "COALESCE(d.stars, 0) DESC, m.score DESC, d.product_id",
}
MAX_TYPO_ALTERNATIVES = 4
NAME_MATCH = 2.0  # the score bonus of a product whose name has every query word


def _top_score(result: "_Answer") -> float:
    return result.best_score


@dataclasses.dataclass(frozen=True)
class _Answer(SearchResult):
    best_score: float = 0.0  # over all matches, not just this page


class _Sqlite:
    """FTS5 over an external-content table (migration 0002)."""

    WEIGHTS = "10.0, 4.0, 1.0"

    @staticmethod
    def _phrase(phrase: tuple[str, ...], prefix: bool = False) -> str:
        return '"' + " ".join(phrase) + '"' + ("*" if prefix else "")

    def _relaxed(self, clauses: Sequence[Clause], at_least: int | None) -> str:
        """All clauses, or (at_least) any `at_least` of them: an OR of the AND-ed combinations."""
        if at_least is None or at_least >= len(clauses):
            return self._expression(clauses)
        return " OR ".join(f"({self._expression(group)})" for group in itertools.combinations(clauses, at_least))

    def _expression(self, clauses: Sequence[Clause], prefix_last: bool = False) -> str:
        parts = []
        for i, clause in enumerate(clauses):
            prefix = prefix_last and i == len(clauses) - 1
            alternatives = [self._phrase(phrase, prefix) for phrase in clause.alternatives]
            parts.append(alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")")
        return " AND ".join(parts)

    def matches(self, clauses: Sequence[Clause], phrase: tuple[str, ...], at_least: int | None = None) -> tuple[str, list]:
        expression = self._relaxed(clauses, at_least)
        rank = f"-bm25(search_fts, {self.WEIGHTS})"
        score = [f"CASE WHEN search_fts.rowid IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s) THEN 2 ELSE 0 END"]
        params = [f"folded_name : ({self._expression(clauses)})"]
        if len(phrase) > 1:
            score.append(score[0].replace("THEN 2", "THEN 1"))
            params.append(self._phrase(phrase))
        score.append(f"({rank}) / (1.0 + {rank})")
        sql = f"SELECT search_fts.rowid AS pid, {' + '.join(score)} AS score FROM search_fts WHERE search_fts MATCH %s"
        return sql, [*params, expression]

    def completions(self, clauses: Sequence[Clause]) -> tuple[str, list]:
        sql = (
            f"SELECT d.product_id, d.name, d.url, d.folded_name FROM search_fts JOIN {DOC} d ON d.product_id = search_fts.rowid "
            f"WHERE search_fts MATCH %s ORDER BY bm25(search_fts, {self.WEIGHTS}), d.product_id LIMIT 200"
        )
        return sql, [f"folded_name : ({self._expression(clauses, prefix_last=True)})"]


class _Postgres:
    """A generated tsvector column with a GIN index (migration 0002)."""

    @staticmethod
    def _phrase(phrase: tuple[str, ...], weight: str = "", prefix: bool = False) -> str:
        def lexeme(word: str, is_prefix: bool) -> str:
            label = ("*" if is_prefix else "") + weight
            return f"'{word}'" + (f":{label}" if label else "")

        return "(" + " <-> ".join(lexeme(word, prefix and i == len(phrase) - 1) for i, word in enumerate(phrase)) + ")"

    def _relaxed(self, clauses: Sequence[Clause], at_least: int | None) -> str:
        if at_least is None or at_least >= len(clauses):
            return self._expression(clauses)
        return " | ".join(f"({self._expression(group)})" for group in itertools.combinations(clauses, at_least))

    def _expression(self, clauses: Sequence[Clause], weight: str = "", prefix_last: bool = False) -> str:
        parts = []
        for i, clause in enumerate(clauses):
            prefix = prefix_last and i == len(clauses) - 1
            parts.append("(" + " | ".join(self._phrase(p, weight, prefix) for p in clause.alternatives) + ")")
        return " & ".join(parts)

    def matches(self, clauses: Sequence[Clause], phrase: tuple[str, ...], at_least: int | None = None) -> tuple[str, list]:
        expression = self._relaxed(clauses, at_least)
        score = ["CASE WHEN search_vector @@ to_tsquery('simple', %s) THEN 2 ELSE 0 END"]
        params = [self._expression(clauses, weight="A")]
        if len(phrase) > 1:
            score.append("CASE WHEN search_vector @@ to_tsquery('simple', %s) THEN 1 ELSE 0 END")
            params.append(self._phrase(phrase))
        score.append("ts_rank_cd(search_vector, to_tsquery('simple', %s), 32)")
        sql = (
            f"SELECT product_id AS pid, {' + '.join(score)} AS score FROM {DOC} "
            f"WHERE search_vector @@ to_tsquery('simple', %s)"
        )
        return sql, [*params, expression, expression]

    def completions(self, clauses: Sequence[Clause]) -> tuple[str, list]:
        query = self._expression(clauses, weight="A", prefix_last=True)
        sql = (
            f"SELECT d.product_id, d.name, d.url, d.folded_name FROM {DOC} d WHERE d.search_vector @@ to_tsquery('simple', %s) "
            f"ORDER BY ts_rank_cd(d.search_vector, to_tsquery('simple', %s)) DESC, d.product_id LIMIT 200"
        )
        return sql, [query, query]


def _engine() -> _Sqlite | _Postgres:
    if connection.vendor == "sqlite":
        return _Sqlite()
    if connection.vendor == "postgresql":
        return _Postgres()
    raise NotImplementedError(f"the database search backend supports SQLite and PostgreSQL, not {connection.vendor}")


class DatabaseBackend(SearchBackend):
    name = "database"

    # -- indexing ---------------------------------------------------------------------------
    def index_products(self, product_ids: Iterable[int]) -> None:
        ids = sorted(set(product_ids))
        if not ids:
            return
        documents = documents_for(ids)
        try:
            with transaction.atomic():
                SearchDocument.objects.filter(pk__in=ids).delete()
                self._write(documents.values())
        except DatabaseError as error:
            raise SearchUnavailable(str(error)) from error

    def remove_products(self, product_ids: Iterable[int]) -> None:
        try:
            SearchDocument.objects.filter(pk__in=list(product_ids)).delete()
        except DatabaseError as error:
            raise SearchUnavailable(str(error)) from error

    def rebuild(self, progress: Progress | None = None) -> int:
        total, done = indexable_products().count(), 0
        if progress:
            progress(0, total)
        with transaction.atomic():  # readers see the old index until this commits
            SearchDocument.objects.all().delete()
            SearchTerm.objects.all().delete()
            for batch in iter_all_documents():
                self._write(batch)
                done += len(batch)
                if progress:
                    progress(done, total)
        return done

    def _write(self, documents: Iterable[ProductDocument]) -> None:
        documents = list(documents)
        SearchDocument.objects.bulk_create([_row(document) for document in documents], batch_size=500)
        terms: dict[str, str] = {}
        for document in documents:
            for folded, display in analysis.display_words(f"{document.name} {document.place_text} {document.description}"):
                if len(folded) <= 64:
                    terms.setdefault(folded, display)
        SearchTerm.objects.bulk_create(
            [SearchTerm(term=term, display=display, length=len(term)) for term, display in terms.items()],
            ignore_conflicts=True, batch_size=1000,
        )

    # -- searching --------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        try:
            return self._search(query)
        except DatabaseError as error:
            logger.exception("database search failed")
            raise SearchUnavailable(str(error)) from error

    def _search(self, query: SearchQuery) -> SearchResult:
        tokens = analysis.query_words(query.text)
        if not tokens:
            return _plain(self._run(query, [], phrase=()))
        clauses = analysis.expand(tokens, analysis.load_synonyms())
        result = self._run(query, clauses, phrase=tuple(tokens))
        if result.total and (len(tokens) == 1 or _top_score(result) >= NAME_MATCH):
            return _plain(result)
        # Nothing matched, or no product's name has all the words: try each word with its
        # near spellings (`tra mang cua` → cầu). A correction wins when it puts every word in
        # a name and changes few words; otherwise, when nothing matched as typed, a query of
        # 4+ words keeps the products matching all words but one (`dac san dong nai`).
        fuzzy_clauses = self._fuzzy(clauses)
        fuzzy = self._run(query, fuzzy_clauses, phrase=())
        suggestion = self._suggestion(fuzzy_clauses, fuzzy)
        corrected = _top_score(fuzzy) >= NAME_MATCH and analysis.few_changes(tokens, suggestion)
        if result.total and not corrected:
            return _plain(result)
        if not corrected and len(clauses) >= 4:
            relaxed = self._run(query, clauses, phrase=(), at_least=len(clauses) - 1)
            if relaxed.total:
                return _plain(relaxed)
        did_you_mean = suggestion if corrected and analysis.query_words(suggestion) != tokens else None
        return SearchResult(fuzzy.results, fuzzy.total, fuzzy.facets, did_you_mean, fuzzy.page, fuzzy.per_page)

    def _fuzzy(self, clauses: list[Clause]) -> list[Clause]:
        """Each one-word clause also accepts vocabulary words a typo or two away."""
        fuzzy = []
        for clause in clauses:
            if len(clause.alternatives) == 1 and len(clause.original) == 1:
                word = clause.original[0]
                clause = Clause(((word,), *[(term,) for term in self._near(word)]))
            fuzzy.append(clause)
        return fuzzy

    @staticmethod
    def _suggestion(clauses: list[Clause], result: SearchResult) -> str | None:
        """The query as the best hit spells it: per clause, the alternative found in its name
        (with the name's diacritics), else the word as typed."""
        if not result.results:
            return None
        best = max(result.results, key=lambda hit: hit.score)
        spelled = dict(reversed(analysis.display_words(best.name)))
        chosen = []
        for clause in clauses:
            in_name = [phrase for phrase in clause.alternatives if set(phrase) <= spelled.keys()]
            chosen.append((in_name or list(clause.alternatives))[0])
        words = [word for phrase in chosen for word in phrase]
        known = dict(SearchTerm.objects.filter(term__in=set(words) - spelled.keys()).values_list("term", "display"))
        return " ".join(spelled.get(word) or known.get(word, word) for word in words)

    @staticmethod
    def _near(word: str) -> list[str]:
        budget = analysis.typo_budget(word)
        if not budget:
            return []
        rows = SearchTerm.objects.filter(length__range=(len(word) - budget, len(word) + budget)).values_list("term", "display")
        scored = sorted(
            (distance, term, display) for term, display in rows.iterator(chunk_size=5000)
            if term != word and (distance := analysis.edit_distance(word, term, budget)) <= budget
        )
        return [term for _distance, term, _display in scored[:MAX_TYPO_ALTERNATIVES]]

    def _run(self, query: SearchQuery, clauses: list[Clause], phrase: tuple[str, ...], at_least: int | None = None) -> "_Answer":
        if clauses:
            match_sql, params = _engine().matches(clauses, phrase, at_least)
        else:
            match_sql, params = f"SELECT product_id AS pid, 0.0 AS score FROM {DOC}", []
        where, where_params = _filters(query)
        # MATERIALIZED: the matches are computed once (SQLite may not use bm25() in a query it
        # flattened into an aggregate), then joined with the documents, filtered and counted.
        base = f"FROM {DOC} d JOIN m ON m.pid = d.product_id WHERE {where}"
        cte = f"WITH m AS MATERIALIZED ({match_sql}) "
        base_params = [*params, *where_params]
        order = ORDER_BY[query.sort] if clauses or query.sort != Sort.RELEVANCE else ORDER_BY[Sort.NEWEST]
        with connection.cursor() as cursor:
            cursor.execute(f"{cte}SELECT COUNT(*), MAX(m.score) {base}", base_params)
            total, best = cursor.fetchone()
            cursor.execute(f"{cte}SELECT {HIT_COLUMNS}, m.score {base} ORDER BY {order} LIMIT %s OFFSET %s",
                           [*base_params, query.per_page, query.offset])
            hits = [SearchHit(*row[:-1], score=round(float(row[-1]), 6)) for row in cursor.fetchall()]
            facets = _facets(cursor, cte + "SELECT {columns} " + base, base_params) if query.facets and total else {}
        return _Answer(hits, total, facets, None, query.page, query.per_page, best_score=float(best or 0))

    def autocomplete(self, prefix: str, limit: int = 8) -> Sequence[Suggestion]:
        tokens = analysis.query_words(prefix)
        if not tokens:
            return []
        clauses = [Clause(((token,),)) for token in tokens]
        sql, params = _engine().completions(clauses)
        typed = " ".join(tokens)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
        except DatabaseError as error:
            raise SearchUnavailable(str(error)) from error
        # Names that start with what was typed come first, then the engine's order.
        rows = sorted(rows, key=lambda row: not row[3].startswith(typed))
        suggestions, seen = [], set()
        for product_id, name, url, _folded in rows:
            if name not in seen:
                seen.add(name)
                suggestions.append(Suggestion(text=name, product_id=product_id, url=url))
        return suggestions[:limit]


def _plain(answer: _Answer) -> SearchResult:
    return SearchResult(answer.results, answer.total, answer.facets, answer.did_you_mean, answer.page, answer.per_page)


def _row(document: ProductDocument) -> SearchDocument:
    return SearchDocument(
        product_id=document.product_id, name=document.name, sku=document.sku, price_vnd=document.price_vnd,
        stock=document.stock, stars=document.stars, province_code=document.province_code,
        province_name=document.province_name, commune_code=document.commune_code, commune_name=document.commune_name,
        category_slug=document.category_slug, category_name=document.category_name, producer_name=document.producer_name,
        url=document.url, created_at=document.created_at,
        folded_name=" ".join(analysis.words(document.name)),
        folded_place=" ".join(analysis.words(document.place_text)),
        folded_body=" ".join(analysis.words(document.description)),
    )


def _filters(query: SearchQuery) -> tuple[str, list]:
    conditions, params = ["1 = 1"], []
    for column, value in (("province_code", query.province), ("commune_code", query.commune), ("category_slug", query.category)):
        if value is not None:
            conditions.append(f"d.{column} = %s")
            params.append(value)
    if query.min_stars is not None:
        conditions.append("d.stars >= %s")
        params.append(query.min_stars)
    if query.price is not None:
        if query.price.minimum is not None:
            conditions.append("d.price_vnd >= %s")
            params.append(query.price.minimum)
        if query.price.maximum is not None:
            conditions.append("d.price_vnd < %s")
            params.append(query.price.maximum)
    if query.in_stock:
        conditions.append("d.stock > 0")
    return " AND ".join(conditions), params


def _facets(cursor, template: str, params: list) -> dict[str, list[FacetValue]]:
    """`template` is the matching query with `{columns}` where the selected columns go."""
    facets = {}
    for name, code, label in (("province", "province_code", "province_name"), ("commune", "commune_code", "commune_name"),
                              ("category", "category_slug", "category_name")):
        cursor.execute(
            template.replace("{columns}", f"d.{code}, d.{label}, COUNT(*)") + f" AND d.{code} <> '' GROUP BY d.{code}, d.{label} "
            f"ORDER BY COUNT(*) DESC, d.{label}", params,
        )
        facets[name] = [FacetValue(str(value), str(text), int(count)) for value, text, count in cursor.fetchall()]
    star_sums = [f"SUM(CASE WHEN d.stars >= {stars} THEN 1 ELSE 0 END)" for stars in (5, 4, 3)]
    price_sums = [
        "SUM(CASE WHEN " + " AND ".join(
            [f"d.price_vnd >= {r.minimum}"] * (r.minimum is not None) + [f"d.price_vnd < {r.maximum}"] * (r.maximum is not None)
        ) + " THEN 1 ELSE 0 END)"
        for r in PRICE_RANGES
    ]
    cursor.execute(template.replace("{columns}", ", ".join(star_sums + price_sums)), params)
    counts = [int(count or 0) for count in cursor.fetchone()]
    facets["ocop_stars"] = [FacetValue(str(stars), f"Từ {stars} sao", count)
                            for stars, count in zip((5, 4, 3), counts[:3]) if count]
    facets["price"] = [FacetValue(r.key, r.label, count) for r, count in zip(PRICE_RANGES, counts[3:]) if count]
    return facets
