"""The embedded default: full-text search in the project's own database.

SQLite uses FTS5 (bm25 with column weights), PostgreSQL its full-text search (setweight A/B/C
and ts_rank); both index text that Python has already folded (Vietnamese diacritics and
đ → d removed), and query text is folded the same way, so both match with or without
diacritics. Engine differences live in the two small `_Engine` classes below; everything else
(filters, facets, sorting, paging, typo tolerance, synonyms) is shared SQL.

Ranking, highest first: all query words in the name (+2), the words adjacent as typed (+1),
then the engine's relevance normalised to [0, 1).
"""
from __future__ import annotations

import dataclasses
import functools
import importlib
import itertools
import logging
from collections.abc import Iterable, Sequence

from django.db import DatabaseError, connection, transaction

from .. import analysis
from ..analysis import Clause
from ..documents import ProductDocument, documents_for
from ..models import SearchDocument, SearchTerm
from .base import (
    FACET_LIMIT, PRICE_RANGES, FacetValue, Progress, SearchBackend, SearchHit, SearchQuery, SearchResult, SearchUnavailable, Sort,
    STARS_LABELS, Suggestion, commune_facet_limit,
)

logger = logging.getLogger(__name__)
DOC = "search_searchdocument"
MATCH_INDEX = "search_doc_match"  # SQLite: migration 0003's covering index
HIT_COLUMNS = (
    "d.product_id, d.sku, d.name, d.price_vnd, d.stock, d.stars, d.commune_code, d.commune_name, "
    "d.province_code, d.province_name, d.category_slug, d.url"
)
# Columns of the filtered match set `f` (the aggregates and the sorts read only these).
MATCH_COLUMNS = (
    "d.product_id, d.stars, d.price_vnd, d.created_at, d.province_code, d.province_name, d.commune_code, "
    "d.commune_name, d.category_slug, d.category_name"
)
ORDER_BY = {
    Sort.RELEVANCE: "score DESC, COALESCE(stars, 0) DESC, product_id",
    Sort.PRICE: "price_vnd ASC, score DESC, product_id",
    Sort.PRICE_DESC: "price_vnd DESC, score DESC, product_id",
    Sort.NEWEST: "created_at DESC, product_id DESC",
    Sort.STARS: "COALESCE(stars, 0) DESC, score DESC, product_id",
}
MAX_TYPO_ALTERNATIVES = 4
NAME_MATCH = 2.0  # the score bonus of a product whose name has every query word


def _top_score(result: "_Answer") -> float:
    return result.best_score


@dataclasses.dataclass(frozen=True)
class _Answer(SearchResult):
    best_score: float = 0.0  # over all matches, not just this page


def _fts_migration():
    return importlib.import_module("search.migrations.0002_fulltext_index")


def _name_fts_migration():
    return importlib.import_module("search.migrations.0005_sqlite_name_index")


class _Sqlite:
    """FTS5 over an external-content table (migration 0002), and over the names alone (0005)."""

    WEIGHTS = "10.0, 4.0, 1.0"
    CHEAP_NAME_COUNT = True  # a column-filtered FTS5 count reads only the index
    # A rebuild keeps the documents' order: FTS5 builds its index fastest from rows in rowid
    # order, and the match join reads the covering index by product id, not the rows.
    ROWS_IN_NAME_ORDER = False

    @staticmethod
    def bulk_begin(cursor) -> None:
        """A rebuild (inside its transaction) drops the per-row triggers and, at the end, has
        FTS5 rebuild its index from the content table in one pass: about 5x faster than one
        trigger per row. DDL is transactional in SQLite: a failed rebuild restores them."""
        for statement in [*_fts_migration().SQLITE_DROP[:3], *_name_fts_migration().SQLITE_DROP[:3]]:
            cursor.execute(statement)  # the triggers, not the tables

    @staticmethod
    def bulk_end(cursor) -> None:
        cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
        cursor.execute(_name_fts_migration().SQLITE_FILL)
        for statement in [*_fts_migration().SQLITE_CREATE[1:], *_name_fts_migration().SQLITE_CREATE[1:]]:
            cursor.execute(statement)  # the triggers, as the migrations made them

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

    # Questions about names go to the name-only table (migration 0005).
    def name_count(self, clauses: Sequence[Clause]) -> tuple[str, list]:
        return "SELECT COUNT(*) FROM search_fts_name WHERE search_fts_name MATCH %s", [self._expression(clauses)]

    def name_count_any(self, variants: Sequence[Sequence[Clause]]) -> tuple[str, list]:
        expression = " OR ".join(f"({self._expression(clauses)})" for clauses in variants)
        return "SELECT COUNT(*) FROM search_fts_name WHERE search_fts_name MATCH %s", [expression]

    def filtered(self, clauses: Sequence[Clause], phrase: tuple[str, ...], at_least: int | None, where: str,
                 where_params: list, lazy: bool) -> tuple[str, list]:
        """The matching documents that pass the filters, with MATCH_COLUMNS and the score.
        `lazy`: bm25 only for the name tier (the others score their tier alone), for when
        the name tier fills the requested page (SQLite evaluates CASE branches lazily)."""
        rank = f"-bm25(search_fts, {self.WEIGHTS})"
        norm = f"(({rank}) / (1.0 + {rank}))"
        in_name = "search_fts.rowid IN (SELECT rowid FROM search_fts_name WHERE search_fts_name MATCH %s)"
        score = f"CASE WHEN {in_name} THEN 2.0 + {norm} ELSE {'0.0' if lazy else norm} END"
        params = [self._expression(clauses)]
        if len(phrase) > 1:
            score += " + CASE WHEN search_fts.rowid IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s) THEN 1 ELSE 0 END"
            params.append(self._phrase(phrase))
        # CROSS JOIN: SQLite must drive from the FTS match, never probe FTS once per document.
        # INDEXED BY: the covering index of migration 0003 (every column read here), not the wide rows.
        sql = (f"SELECT {MATCH_COLUMNS}, {score} AS score FROM search_fts CROSS JOIN {DOC} d INDEXED BY {MATCH_INDEX} "
               f"ON d.product_id = search_fts.rowid WHERE search_fts MATCH %s AND {where}")
        return sql, [*params, self._relaxed(clauses, at_least), *where_params]

    def completions(self, clauses: Sequence[Clause]) -> tuple[str, list]:
        sql = (
            f"SELECT d.product_id, d.name, d.url, d.folded_name FROM search_fts_name CROSS JOIN {DOC} d "
            f"ON d.product_id = search_fts_name.rowid "
            f"WHERE search_fts_name MATCH %s ORDER BY bm25(search_fts_name), d.product_id LIMIT 200"
        )
        return sql, [self._expression(clauses, prefix_last=True)]


class _Postgres:
    """A generated tsvector column with a GIN index (migration 0002)."""

    CHEAP_NAME_COUNT = True  # counted in the name-only GIN index (migration 0003), no weighted recheck
    # A rebuild writes rows in name order: the heap keeps insertion order, so similar products
    # share pages and a search reads a few pages instead of about one per match.
    ROWS_IN_NAME_ORDER = True

    @staticmethod
    def bulk_begin(cursor) -> None:
        pass  # the generated column and the GIN index follow the rows; readers keep the old rows

    @staticmethod
    def bulk_end(cursor) -> None:
        # A bulk load leaves up to gin_pending_list_limit (4 MB) of unsorted entries in each GIN
        # index's pending list, which every search then scans linearly until (auto)vacuum
        # merges them; merge them now (this works inside the rebuild's transaction).
        cursor.execute("SELECT gin_clean_pending_list('search_doc_vector_gin'::regclass), "
                       "gin_clean_pending_list('search_doc_name_gin'::regclass)")

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

    # The name tier reads migration 0003's name-only `name_vector` (unweighted, own GIN index):
    # `name_vector @@ q` is `search_vector @@ q:A` (the name's words carry weight A there).
    def name_count(self, clauses: Sequence[Clause]) -> tuple[str, list]:
        return (f"SELECT COUNT(*) FROM {DOC} WHERE name_vector @@ to_tsquery('simple', %s)",
                [self._expression(clauses)])

    def name_count_any(self, variants: Sequence[Sequence[Clause]]) -> tuple[str, list]:
        expression = " | ".join(f"({self._expression(clauses)})" for clauses in variants)
        return f"SELECT COUNT(*) FROM {DOC} WHERE name_vector @@ to_tsquery('simple', %s)", [expression]

    def filtered(self, clauses: Sequence[Clause], phrase: tuple[str, ...], at_least: int | None, where: str,
                 where_params: list, lazy: bool) -> tuple[str, list]:
        """As _Sqlite.filtered: the rank only where needed (CASE is evaluated lazily). The rank is
        `ts_rank` (weighted term frequency), not `ts_rank_cd`: cover density costs about 5 µs a
        row with the typo path's OR-ed spellings (≈ 20 ms for 4,000 matches), and proximity is
        already rewarded by the phrase bonus."""
        expression = self._relaxed(clauses, at_least)
        rank = "ts_rank(d.search_vector, to_tsquery('simple', %s), 32)"
        score = f"CASE WHEN d.name_vector @@ to_tsquery('simple', %s) THEN 2.0 + {rank} ELSE {'0.0' if lazy else rank} END"
        params = [self._expression(clauses), expression] + ([] if lazy else [expression])
        if len(phrase) > 1:
            score += " + CASE WHEN d.search_vector @@ to_tsquery('simple', %s) THEN 1 ELSE 0 END"
            params.append(self._phrase(phrase))
        sql = f"SELECT {MATCH_COLUMNS}, {score} AS score FROM {DOC} d WHERE d.search_vector @@ to_tsquery('simple', %s) AND {where}"
        return sql, [*params, expression, *where_params]

    def completions(self, clauses: Sequence[Clause]) -> tuple[str, list]:
        # ts_rank over the name alone (cheaper than cover density, as in `filtered`).
        query = self._expression(clauses, prefix_last=True)
        sql = (
            f"SELECT d.product_id, d.name, d.url, d.folded_name FROM {DOC} d WHERE d.name_vector @@ to_tsquery('simple', %s) "
            f"ORDER BY ts_rank(d.name_vector, to_tsquery('simple', %s)) DESC, d.product_id LIMIT 200"
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

    def rebuild_from(self, batches: Iterable[Sequence[ProductDocument]], total: int | None = None,
                     progress: Progress | None = None) -> int:
        """Rewrite the index from `batches` in one transaction (readers keep the old index until
        it commits); on PostgreSQL in the order of the folded names (`ROWS_IN_NAME_ORDER`)."""
        done = 0
        if progress:
            progress(0, total or 0)
        engine = _engine()
        with transaction.atomic():
            with connection.cursor() as cursor:
                engine.bulk_begin(cursor)
            SearchDocument.objects.all().delete()
            SearchTerm.objects.all().delete()
            known_terms: dict[str, bool] = {}
            held: list[tuple] = []  # all rows, when they are written in name order at the end
            for batch in batches:
                rows, terms = self._prepare(batch, known_terms)
                if engine.ROWS_IN_NAME_ORDER:
                    held += rows
                    rows = []
                self._insert(rows, terms)
                done += len(batch)
                if progress:
                    progress(done, total or done)
            held.sort(key=_name_order)
            for start in range(0, len(held), 2000):
                self._insert(held[start:start + 2000], {})
            with connection.cursor() as cursor:
                engine.bulk_end(cursor)
        return done

    def _write(self, documents: Iterable[ProductDocument]) -> None:
        """Insert document rows (the engine index follows by trigger or generated column) and
        the vocabulary words not yet known."""
        self._insert(*self._prepare(documents))

    @staticmethod
    def _prepare(documents: Iterable[ProductDocument],
                 known_terms: dict[str, bool] | None = None) -> tuple[list[tuple], dict[str, tuple[str, bool]]]:
        """The document rows and the vocabulary to write: words not yet known, and known words
        now seen in a name (word → (display spelling, in a name)). `known_terms`: the words
        already in SearchTerm → in_names (a rebuild keeps it across batches; it is updated
        here); None = ask the table."""
        documents = list(documents)
        if not documents:
            return [], {}
        rows, doc_terms = [], []
        for document in documents:
            row = _row(document)
            rows.append(row)
            doc_terms.append(set(row[-3].split()) | set(row[-2].split()) | set(row[-1].split()))
        if known_terms is None:
            every = set().union(*doc_terms)
            known_terms = dict(SearchTerm.objects.filter(term__in=every).values_list("term", "in_names")) if every else {}
        # The display spelling of a new word is its first occurrence (name, place, description).
        terms: dict[str, tuple[str, bool]] = {}
        for document, row, words in zip(documents, rows, doc_terms):
            in_name = set(row[_FOLDED_NAME].split())
            new = words - known_terms.keys()
            for word in in_name:
                if known_terms.get(word) is False:  # known, now in a name too
                    terms[word] = (terms.get(word, (word,))[0], True)
                    known_terms[word] = True
            if not new:
                continue
            for folded, display in analysis.display_words(f"{document.name} {document.place_text} {document.description}"):
                if folded in new and len(folded) <= 64 and folded not in terms:
                    terms[folded] = (display, folded in in_name)
            known_terms.update((word, word in in_name) for word in new)
        return rows, terms

    @staticmethod
    def _insert(rows: list[tuple], terms: dict[str, tuple[str, bool]]) -> None:
        """One `executemany` for the rows and one for the new words."""
        with connection.cursor() as cursor:
            if rows:
                cursor.executemany(INSERT_DOCUMENT, rows)
            if terms:
                cursor.executemany(INSERT_TERM, [(term, display[:64], len(term), in_names)
                                                 for term, (display, in_names) in terms.items()])

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
        if result.total and not self._correctable(clauses, fuzzy_clauses, max(1, len(tokens) // 3)):
            return _plain(result)  # no correction of few words puts every word in a name: keep the literal answer
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

    @staticmethod
    def _correctable(clauses: list[Clause], fuzzy: list[Clause], changes: int) -> bool:
        """Could a correction win: does some product's name have every clause with at most
        `changes` of them replaced by a near spelling? (Ignores filters: a necessary condition,
        checked in the engine's name index before the costlier fuzzy search.)"""
        differing = [i for i, (a, b) in enumerate(zip(clauses, fuzzy)) if a != b]
        combos = [set(c) for k in range(1, min(changes, len(differing)) + 1) for c in itertools.combinations(differing, k)]
        if not combos:
            return False
        variants = [[fuzzy[i] if i in combo else clause for i, clause in enumerate(clauses)] for combo in combos]
        if len(variants) > 64:  # many words: settle for the weaker test (every clause, any spelling)
            variants = [fuzzy]
        # A variant with a clause no name has ever held cannot match: the vocabulary knows
        # (common description words such as `dac`, `san` would make the name-index count slow).
        in_names = _vocabulary().in_names
        variants = [variant for variant in variants
                    if all(any(all(word in in_names or len(word) > 64 for word in phrase) for phrase in clause.alternatives)
                           for clause in variant)]
        if not variants:
            return False
        with connection.cursor() as cursor:
            cursor.execute(*_engine().name_count_any(variants))
            return bool(cursor.fetchone()[0])

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
        """Vocabulary words within the word's typo budget, nearest first (at most
        MAX_TYPO_ALTERNATIVES). Bounded work per query: candidates
        come from the cached deletion index, and only they get an edit distance."""
        budget = analysis.typo_budget(word)
        if not budget:
            return []
        deletions = _vocabulary().deletions
        candidates = {term for variant in _deletions(word, budget) for term in deletions.get(variant, ())}
        scored = sorted(
            (distance, term) for term in candidates
            if term != word and (distance := analysis.edit_distance(word, term, budget)) <= budget
        )
        return [term for _distance, term in scored[:MAX_TYPO_ALTERNATIVES]]

    def _run(self, query: SearchQuery, clauses: list[Clause], phrase: tuple[str, ...], at_least: int | None = None) -> "_Answer":
        """One statement: the matches are computed once (a MATERIALIZED CTE, joined with the
        documents and filtered), and the total, best score, the page's ids and every facet's
        counts are read from it (UNION ALL, told apart by the first column); then the page's
        rows by primary key."""
        where, where_params = _filters(query)
        engine = _engine() if clauses else None
        # Relevance order: rank only the name tier first; when the filtered name tier does not
        # fill the requested page, the statement is run again ranking everything.
        lazy = bool(clauses) and query.sort == Sort.RELEVANCE
        if lazy and engine.CHEAP_NAME_COUNT:  # skip the doomed lazy pass when even unfiltered the name tier is short
            with connection.cursor() as cursor:
                cursor.execute(*engine.name_count(clauses))
                lazy = cursor.fetchone()[0] >= query.offset + query.per_page
        if clauses:
            body, params = engine.filtered(clauses, phrase, at_least, where, where_params, lazy)
        else:
            body, params = f"SELECT {MATCH_COLUMNS}, 0.0 AS score FROM {DOC} d WHERE {where}", where_params
        cte = f"WITH f AS MATERIALIZED ({body}) "
        order = ORDER_BY[query.sort] if clauses or query.sort != Sort.RELEVANCE else ORDER_BY[Sort.NEWEST]
        parts = [
            "SELECT 0, NULL, NULL, COUNT(*), MAX(score) FROM f",
            f"SELECT 9, NULL, NULL, product_id, score FROM (SELECT product_id, score FROM f ORDER BY {order} LIMIT %s OFFSET %s) h",
        ]
        if lazy:
            parts.append(f"SELECT 8, NULL, NULL, COUNT(*), NULL FROM f WHERE score >= {NAME_MATCH}")
        if query.facets:
            parts += _facet_parts(commune_facet_limit(query))
        with connection.cursor() as cursor:
            cursor.execute(cte + " UNION ALL ".join(parts), [*params, query.per_page, query.offset])
            rows = cursor.fetchall()
            if lazy and next(int(r[3]) for r in rows if r[0] == 8) < query.offset + query.per_page:
                # The filters left too few in the name tier: score everything.
                body, params = engine.filtered(clauses, phrase, at_least, where, where_params, lazy=False)
                cursor.execute(f"WITH f AS MATERIALIZED ({body}) " + " UNION ALL ".join(p for p in parts if not p.startswith("SELECT 8")),
                               [*params, query.per_page, query.offset])
                rows = cursor.fetchall()
            total, best, page, facet_rows = 0, 0.0, [], []
            for kind, key, label, count, extra in rows:
                if kind == 8:
                    continue
                if kind == 0:
                    total, best = int(count or 0), float(extra or 0)
                elif kind == 9:
                    page.append((int(count), float(extra or 0)))
                else:
                    facet_rows.append((kind, key, label, int(count), extra))
            hits = []
            if page:
                cursor.execute(f"SELECT {HIT_COLUMNS} FROM {DOC} d WHERE d.product_id IN ({', '.join(['%s'] * len(page))})",
                               [pid for pid, _score in page])
                by_id = {row[0]: row for row in cursor.fetchall()}
                matched = {word for clause in clauses for phrase in clause.alternatives for word in phrase}
                hits = [SearchHit(*by_id[pid], score=round(score, 6), highlight=analysis.mark_words(by_id[pid][2], matched))
                        for pid, score in page if pid in by_id]
        facets = _facets(facet_rows) if query.facets and total else {}
        return _Answer(hits, total, facets, None, query.page, query.per_page, best_score=best)

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


def _deletions(word: str, depth: int) -> set[str]:
    """The word and every string made by deleting up to `depth` of its letters."""
    found, frontier = {word}, {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


@dataclasses.dataclass(frozen=True)
class _Vocabulary:
    deletions: dict[str, list[str]]  # deletion variant -> terms
    in_names: frozenset[str]  # the terms that are (or were) in a product name


_VOCABULARY: dict = {}  # per process: {"key": fingerprint, "vocabulary": _Vocabulary}


def _vocabulary() -> _Vocabulary:
    """Symmetric-deletion index of SearchTerm (as in SymSpell): two words within edit distance
    k (k <= 2) share a string reachable by deleting at most k letters from each. Terms of 1–3
    letters keep 1 deletion (only budget-1 queries of 3–5 letters can reach them), longer ones
    2. With the set of words seen in names. Rebuilt when the table's fingerprint (database,
    count, length sum, last and first term, words in names) changes."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*), SUM(length), MAX(term), MIN(term), SUM(CASE WHEN in_names THEN 1 ELSE 0 END) "
                       "FROM search_searchterm")
        key = (connection.alias, connection.settings_dict.get("NAME"), *cursor.fetchone())
        if _VOCABULARY.get("key") == key:
            return _VOCABULARY["vocabulary"]
        cursor.execute("SELECT term, in_names FROM search_searchterm")
        deletions: dict[str, list[str]] = {}
        in_names = set()
        for term, in_name in cursor.fetchall():
            for variant in _deletions(term, 1 if len(term) <= 3 else 2):
                deletions.setdefault(variant, []).append(term)
            if in_name:
                in_names.add(term)
    vocabulary = _Vocabulary(deletions, frozenset(in_names))
    _VOCABULARY.clear()
    _VOCABULARY.update(key=key, vocabulary=vocabulary)
    return vocabulary


def _plain(answer: _Answer) -> SearchResult:
    return SearchResult(answer.results, answer.total, answer.facets, answer.did_you_mean, answer.page, answer.per_page)


DOCUMENT_COLUMNS = (
    "product_id", "name", "sku", "price_vnd", "stock", "stars", "province_code", "province_name", "commune_code",
    "commune_name", "category_slug", "category_name", "producer_name", "url", "created_at",
    "folded_name", "folded_place", "folded_body",  # last: _prepare reads them back by position
)
INSERT_DOCUMENT = f"INSERT INTO {DOC} ({', '.join(DOCUMENT_COLUMNS)}) VALUES ({', '.join(['%s'] * len(DOCUMENT_COLUMNS))})"
_FOLDED_NAME = DOCUMENT_COLUMNS.index("folded_name")


def _name_order(row: tuple) -> tuple:
    return row[_FOLDED_NAME], row[0]


INSERT_TERM = ("INSERT INTO search_searchterm (term, display, length, in_names) VALUES (%s, %s, %s, %s) "
               "ON CONFLICT (term) DO UPDATE SET in_names = TRUE WHERE excluded.in_names")


def _row(document: ProductDocument) -> tuple:
    """The SearchDocument row, in DOCUMENT_COLUMNS order, with the folded text."""
    return (
        document.product_id, document.name[:200], document.sku, document.price_vnd, document.stock, document.stars,
        document.province_code, document.province_name, document.commune_code, document.commune_name,
        document.category_slug, document.category_name, document.producer_name[:200], document.url[:500],
        connection.ops.adapt_datetimefield_value(document.created_at),
        " ".join(analysis.words(document.name)), " ".join(analysis.words(document.place_text)),
        " ".join(analysis.words(document.description)),
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


FACET_KINDS = {1: "province", 2: "commune", 3: "category"}
_PRICE_CASE = "CASE " + " ".join(
    "WHEN " + " AND ".join([f"price_vnd >= {r.minimum}"] * (r.minimum is not None) + [f"price_vnd < {r.maximum}"] * (r.maximum is not None))
    + f" THEN '{r.key}'" for r in PRICE_RANGES
) + " END"
@functools.cache
def _facet_parts(commune_limit: int) -> list[str]:
    limits = {1: FACET_LIMIT, 2: commune_limit, 3: FACET_LIMIT}
    return [
        *[f"SELECT * FROM (SELECT {kind} AS kind, {code} AS key, MAX({label}) AS label, COUNT(*) AS n, CAST(NULL AS DOUBLE PRECISION) AS x "
          f"FROM f WHERE {code} <> '' GROUP BY {code} ORDER BY COUNT(*) DESC, MAX({label}) LIMIT {limits[kind]}) AS facet_{kind}"
          for kind, code, label in ((1, "province_code", "province_name"), (2, "commune_code", "commune_name"),
                                    (3, "category_slug", "category_name"))],
        "SELECT 4, NULL, NULL, COUNT(*), stars FROM f WHERE stars IS NOT NULL GROUP BY stars",
        f"SELECT 5, {_PRICE_CASE}, NULL, COUNT(*), NULL FROM f GROUP BY {_PRICE_CASE}",
    ]


def _facets(rows: list[tuple]) -> dict[str, list[FacetValue]]:
    """Facet rows (kind, key, label, count, stars) from `_run`'s statement → facet values:
    codes by count then label; stars counted as "at least N"; price ranges in their order."""
    facets: dict[str, list[FacetValue]] = {name: [] for name in FACET_KINDS.values()}
    per_stars: dict[int, int] = {}
    per_price: dict[str, int] = {}
    for kind, key, label, count, stars in rows:
        if kind in FACET_KINDS:
            facets[FACET_KINDS[kind]].append(FacetValue(str(key), str(label), count))
        elif kind == 4:
            per_stars[int(stars)] = per_stars.get(int(stars), 0) + count
        elif kind == 5 and key is not None:
            per_price[str(key)] = count
    for name in FACET_KINDS.values():
        facets[name].sort(key=lambda facet: (-facet.count, facet.label))
    at_least = {level: sum(count for stars, count in per_stars.items() if stars >= level) for level in (5, 4, 3)}
    facets["ocop_stars"] = [FacetValue(str(level), STARS_LABELS[str(level)], at_least[level]) for level in (5, 4, 3) if at_least[level]]
    facets["price"] = [FacetValue(r.key, r.label, per_price[r.key]) for r in PRICE_RANGES if per_price.get(r.key)]
    return facets
