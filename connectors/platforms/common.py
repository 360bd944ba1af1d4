"""Pieces the platform adapters share: text limits, answer parsing, error rules, category lookup.

Rules for answers we cannot read (not JSON, an HTML error page, a field missing or of the wrong
type): they are treated like a lost answer, i.e. `RetryableError` — a write may have happened, and
the idempotent create/update paths make the retry safe.
"""
from __future__ import annotations

import datetime as dt
import html
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

import requests

from connectors.exceptions import FinalError, RateLimited, RetryableError

ELLIPSIS = "…"
DEFAULT_RETRY_AFTER = 1.0

# Emoji and pictographs (with their joiners and variation selectors). Letters with Vietnamese
# diacritics, ° and other text symbols are untouched.
_EMOJI = re.compile(
    "[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U00002B00-\U00002BFF\U00002300-\U000023FF"
    "\U0000FE00-\U0000FE0F\U0000200D\U000020E3\U000E0000-\U000E007F\U00003030\U0000303D]"
)
_TAG = re.compile(r"<[^>]*>")
_PARAGRAPH_END = re.compile(r"</(p|div|h[1-6])\s*>", re.IGNORECASE)
_LINE_END = re.compile(r"</li\s*>|<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u00a0]+")


# --- text ---------------------------------------------------------------------------------

def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def strip_emoji(text: str) -> str:
    return _SPACES.sub(" ", _EMOJI.sub("", nfc(text))).strip()


def truncate_name(text: str, limit: int) -> str:
    """At most `limit` code points (NFC): cut at a word boundary and end with "…"."""
    text = _SPACES.sub(" ", nfc(text)).strip()
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    cut = head.rfind(" ")
    if cut >= limit // 2:  # keep whole words unless that throws away half the name
        head = head[:cut]
    return head.rstrip(" -–—,.;:/") + ELLIPSIS


def truncate_text(text: str, limit: int) -> str:
    """Plain text of at most `limit` code points, cut at a paragraph, line or word end."""
    text = nfc(text).strip()
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    for separator in ("\n\n", "\n", " "):
        cut = head.rfind(separator)
        if cut >= limit * 3 // 4:
            head = head[:cut]
            break
    return head.rstrip() + ELLIPSIS


def html_to_text(text: str) -> str:
    """Plain text from text that may hold HTML (tags dropped, entities decoded)."""
    text = _LINE_END.sub("\n", _PARAGRAPH_END.sub("\n\n", nfc(text)))
    text = html.unescape(_TAG.sub("", text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def text_to_html(text: str) -> str:
    """Our plain text as simple HTML: paragraphs on blank lines, <br> on single line breaks."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", nfc(text).strip()) if p.strip()]
    return "".join("<p>" + "<br>".join(html.escape(line.strip()) for line in p.splitlines()) + "</p>"
                   for p in paragraphs)


def name_key(name: str) -> str:
    """How category names are compared: NFC, case-folded, single spaces."""
    return _SPACES.sub(" ", nfc(name)).strip().casefold()


# --- answers --------------------------------------------------------------------------------

def snippet(response: requests.Response) -> str:
    try:
        return response.text[:2000]
    except Exception:  # noqa: BLE001 - undecodable body
        return repr(response.content[:2000])


def read_json(response: requests.Response) -> Any:
    """The answer's JSON, or RetryableError when it is not JSON (error pages, cut answers)."""
    try:
        return response.json()
    except ValueError as exc:
        raise RetryableError(f"answer is not JSON (HTTP {response.status_code})", status=response.status_code,
                             body=snippet(response)) from exc


def json_object_or_empty(response: requests.Response) -> dict:
    """The answer's JSON object, or {} when it is not one (for reading optional error details)."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def quote_id(external_id: str) -> str:
    """A platform id as one URL path segment."""
    return quote(str(external_id), safe="")


def field(obj: Any, key: str, kind: type | tuple[type, ...], *, response: requests.Response | None = None) -> Any:
    """`obj[key]` when it has the expected type, else RetryableError (a malformed answer)."""
    value = obj.get(key) if isinstance(obj, dict) else None
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        value = None  # JSON true/false is not an int here
    if not isinstance(value, kind):
        status = response.status_code if response is not None else None
        body = snippet(response) if response is not None else repr(obj)[:2000]
        raise RetryableError(f"malformed answer: {key!r} missing or of the wrong type", status=status, body=body)
    return value


def retry_after(response: requests.Response) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        return DEFAULT_RETRY_AFTER
    return seconds if seconds > 0 else DEFAULT_RETRY_AFTER


def raise_for_transport_status(response: requests.Response, platform: str) -> None:
    """429 → RateLimited, 5xx (often an HTML page) → RetryableError; other statuses pass."""
    status = response.status_code
    if status == 429:
        raise RateLimited(f"{platform}: rate limited", status=status, body=snippet(response),
                          retry_after=retry_after(response))
    if status >= 500:
        raise RetryableError(f"{platform}: HTTP {status} (temporary)", status=status, body=snippet(response))


def final(message: str, response: requests.Response, *, field_name: str = "") -> FinalError:
    return FinalError(message, field=field_name, status=response.status_code, body=snippet(response))


# --- categories ---------------------------------------------------------------------------

class CategoryMap:
    """The platform's leaf categories by name, read once per adapter instance (lazily)."""

    def __init__(self, load: Callable[[], Iterable[tuple[str, Any]]], *, platform: str, fallback: str = "Khác",
                 fallback_id: Any = None):
        self._load = load  # → (name, platform id) of every usable (leaf) category
        self._fallback = name_key(fallback)
        self._fallback_id = fallback_id  # used when no category carries the fallback name
        self._platform = platform
        self._by_name: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def lookup(self, name: str) -> Any:
        by_name = self._categories()
        found = by_name.get(name_key(name), by_name.get(self._fallback, self._fallback_id))
        if found is None:
            raise FinalError(f"{self._platform}: category list has neither {name!r} nor the fallback", field="category")
        return found

    def _categories(self) -> dict[str, Any]:
        with self._lock:
            if self._by_name is None:
                by_name: dict[str, Any] = {}
                for name, ident in self._load():
                    by_name.setdefault(name_key(name), ident)
                self._by_name = by_name
            return self._by_name


def parse_iso(value: Any, *, response: requests.Response | None = None) -> dt.datetime:
    """An ISO 8601 time with offset, aware; anything else is a malformed answer."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise RetryableError(f"malformed answer: time {value!r} is not ISO 8601 with an offset",
                             status=response.status_code if response is not None else None,
                             body=snippet(response) if response is not None else "")
    return parsed
