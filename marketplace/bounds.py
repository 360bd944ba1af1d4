"""Numbers read from requests, checked against what the database can hold.

A visitor can send any digits; a value past a 64-bit integer makes the database driver raise
(OverflowError on SQLite) instead of finding nothing. Parse ids and counts here, and answer
anything else with a clear 400, never a 500.
"""
from __future__ import annotations

MAX_ID = 2**63 - 1  # BigAutoField, and the largest integer SQLite and PostgreSQL's bigint hold


def positive_int(text: object, *, maximum: int = MAX_ID) -> int | None:
    """`text` as an integer from 1 to `maximum` written in ASCII digits; None for anything else
    (negative, "1e309", "٣", empty, too large)."""
    value = str(text if text is not None else "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(maximum)):
        return None
    number = int(value)
    return number if 1 <= number <= maximum else None
