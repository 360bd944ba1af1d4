"""Text analysis shared by the backends: Vietnamese folding, query words, synonym expansion
and edit distance. Everything here is pure (no database), except `load_synonyms` (cached)."""
from __future__ import annotations

import dataclasses
import html
import re
import time

from django.utils.safestring import SafeString

from marketplace.catalog.services import fold_vietnamese

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
_WORD = re.compile(r"[^\W_]+")


def _fold_table() -> dict[int, str]:
    """Per-character folding of upper-case ASCII and precomposed Latin letters (Vietnamese
    included), where folding the character alone gives plain ASCII."""
    table = {}
    for code in [*range(0x41, 0x5B), *range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        folded = fold_vietnamese(chr(code))
        if folded.isascii():
            table[code] = folded
    return table


_FOLD = str.maketrans(_fold_table())


def fold(text: str) -> str:
    """Lower case, no diacritics, đ → d: the catalogue's own `fold_vietnamese`, so both sides
    agree. Fast path: a translation table for the usual (precomposed) letters; anything left
    that is not ASCII (decomposed marks, other scripts) goes through `fold_vietnamese`."""
    if not text:
        return ""
    quick = text.translate(_FOLD)
    return quick if quick.isascii() else fold_vietnamese(quick)


def words(text: str) -> list[str]:
    """Folded words of a text: letters and digits only, so nothing reaches an engine's query
    syntax (quotes, `*`, `NEAR(`, `OR`, `title:(` are just not words, or plain words)."""
    return _WORD.findall(fold(text))


def mark_words(text: str, folded_words: set[str] | frozenset[str]) -> SafeString | str:
    """The text as HTML with each word whose folded form is one of `folded_words` in <mark>
    (`Mật ong rừng`, {"mat", "ong"} → `<mark>Mật</mark> <mark>ong</mark> rừng`); "" when none is.
    Both markers escape with the standard library's `html.escape`, as Django's own `escape`
    does, without its lazy-string wrapper: they run for every hit."""
    parts, last = [], 0
    for match in _WORD.finditer(text):
        if fold(match.group()) in folded_words:
            parts += [html.escape(text[last:match.start()]), "<mark>", html.escape(match.group()), "</mark>"]
            last = match.end()
    if not parts:
        return ""
    parts.append(html.escape(text[last:]))
    return SafeString("".join(parts))


def marked_html(text: str, start: str, end: str) -> SafeString:
    """A text whose matched spans lie between `start` and `end` (a search server's highlight)
    as HTML: escaped, the spans in <mark>."""
    return SafeString(html.escape(text).replace(start, "<mark>").replace(end, "</mark>"))


def display_words(text: str) -> list[tuple[str, str]]:
    """(folded, lower-case original) pairs, for the vocabulary's "did you mean" display."""
    return [(fold(word), word.lower()) for word in _WORD.findall(text or "")]


def query_words(text: str) -> list[str]:
    return words((text or "")[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]


Phrase = tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Clause:
    """One required part of a query: any of its alternative phrases must match."""

    alternatives: tuple[Phrase, ...]

    @property
    def original(self) -> Phrase:
        return self.alternatives[0]


def expand(tokens: list[str], synonym_groups: list[list[Phrase]]) -> list[Clause]:
    """Group the query's words into clauses, replacing a synonym phrase found in the query by
    the alternatives of its group (longest phrase first, left to right)."""
    candidates = sorted(
        ((phrase, group) for group in synonym_groups for phrase in group), key=lambda item: -len(item[0])
    )
    clauses, i = [], 0
    while i < len(tokens):
        for phrase, group in candidates:
            if tuple(tokens[i:i + len(phrase)]) == phrase:
                clauses.append(Clause((phrase, *[p for p in group if p != phrase])))
                i += len(phrase)
                break
        else:
            clauses.append(Clause(((tokens[i],),)))
            i += 1
    return clauses


SYNONYMS_CACHE_KEY = "search:synonym-groups:v1"
#: how long a process reuses the groups it read before asking the shared cache again; a change
#: clears this process's copy at once and the shared cache on save and on commit.
SYNONYMS_LOCAL_SECONDS = 5.0
_synonyms_local: dict = {"groups": None, "at": 0.0}


def load_synonyms() -> list[list[Phrase]]:
    """The operator's synonym groups, folded (read on every search, so cached: per process for
    a few seconds, then in the shared cache until a `Synonym` changes)."""
    from django.core.cache import cache
    from django.db import connection

    now = time.monotonic()
    groups = _synonyms_local["groups"]
    if groups is not None and now - _synonyms_local["at"] < SYNONYMS_LOCAL_SECONDS:
        return groups
    groups = cache.get(SYNONYMS_CACHE_KEY)
    if groups is None:
        groups = _read_synonyms()
        if connection.in_atomic_block:
            return groups  # may see this transaction's own uncommitted change: do not share it
        cache.set(SYNONYMS_CACHE_KEY, groups, None)
    _synonyms_local.update(groups=groups, at=now)
    return groups


def synonyms_changed(**kwargs) -> None:
    """Forget the cached groups (a `Synonym` was saved or deleted): now, and again on commit."""
    from django.core.cache import cache
    from django.db import transaction

    def forget():
        _synonyms_local["groups"] = None
        cache.delete(SYNONYMS_CACHE_KEY)

    forget()
    transaction.on_commit(forget, robust=True)


def synonyms_forget_local() -> None:
    _synonyms_local["groups"] = None


def _read_synonyms() -> list[list[Phrase]]:
    from .models import Synonym

    groups = []
    for synonym in Synonym.objects.all():
        group = [tuple(words(phrase)) for phrase in synonym.phrases()]
        group = list(dict.fromkeys(phrase for phrase in group if phrase))
        if len(group) > 1:
            groups.append(group)
    return groups


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal string alignment distance (a transposition counts 1: cua → cau), stopping early
    once every path exceeds `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def typo_budget(word: str) -> int:
    """How many edits a word may be off by: none for 1–2 letters, 1 up to 5, then 2."""
    return 0 if len(word) <= 2 else 1 if len(word) <= 5 else 2


def spell_like(clauses: list[Clause], name: str) -> str:
    """The query as a product name spells it: per clause, the alternative found in the name,
    else (one word) the name's word within a typo of it, else the words as typed; with the
    name's diacritics where the word comes from the name (`tra mang cua` → `trà mãng cầu`)."""
    spelled = dict(reversed(display_words(name)))
    chosen: list[str] = []
    for clause in clauses:
        found = [phrase for phrase in clause.alternatives if set(phrase) <= spelled.keys()]
        if not found and len(clause.original) == 1:
            word = clause.original[0]
            near = sorted((edit_distance(word, w, typo_budget(word)), w) for w in spelled)
            found = [(w,) for distance, w in near if distance <= typo_budget(word)][:1]
        chosen.extend((found or [clause.original])[0])
    return " ".join(spelled.get(word, word) for word in chosen)


def few_changes(tokens: list[str], suggestion: str | None) -> bool:
    """A correction may change at most one word in three (at least one)."""
    corrected = query_words(suggestion or "")
    if len(corrected) != len(tokens):
        return False
    return sum(a != b for a, b in zip(tokens, corrected)) <= max(1, len(tokens) // 3)
