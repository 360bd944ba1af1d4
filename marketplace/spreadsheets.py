"""Spreadsheet output (CSV and XLSX) that a spreadsheet program shows as data, never runs.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (CSV/formula injection: `=HYPERLINK(...)` in a
product name would run on an editor's machine). Every CSV and XLSX the project writes goes
through this module:

- CSV: such a text gets one leading apostrophe, the spreadsheet convention for "this is text".
  So that the apostrophe never eats real content, a text made of apostrophes followed by such a
  character is guarded too, and `unguard` undoes exactly one guard: `unguard(guard(v)) == v`
  for every text (the listings export → import round trip relies on it).
- XLSX: the cell is stored as a string (never a formula) with Excel's quote prefix, so the
  value is kept as it is and editing the cell does not turn it into a formula either.
- CSV files start with a UTF-8 BOM (Excel then shows Vietnamese correctly) and are served as
  `text/csv; charset=utf-8`.

Numbers are left alone: `-5` as an int is a number, not a formula.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

from django.http import HttpResponse

BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
GUARD = "'"
# Leading apostrophes, then a character that starts a formula (or a cell break in some readers).
_NEEDS_GUARD = re.compile(r"^'*[=+\-@\t\r]")


def needs_guard(value: str) -> bool:
    return bool(_NEEDS_GUARD.match(value))


def guard(value: Any) -> Any:
    """The value to write in a CSV cell: texts that would be read as a formula get `'` in front."""
    if isinstance(value, str) and needs_guard(value):
        return GUARD + value
    return value


def unguard(value: str) -> str:
    """Undo `guard` on a cell read back: one leading `'` is dropped only where `guard` put it."""
    if value.startswith(GUARD) and needs_guard(value[1:]):
        return value[1:]
    return value


def guard_row(values: Iterable[Any]) -> list[Any]:
    return [guard(value) for value in values]


class _BomFirst:
    """Writes the BOM with the first line, not alone: some outputs (a management command's
    stdout) end every separate write with a newline."""

    def __init__(self, out: TextIO):
        self.out, self.pending = out, BOM

    def write(self, text: str) -> Any:
        text, self.pending = self.pending + text, ""
        return self.out.write(text)


class GuardedWriter:
    """`csv.writer` whose every text cell is guarded; the file starts with a BOM unless told not to."""

    def __init__(self, out: TextIO, *, bom: bool = True, **options: Any):
        self._writer = csv.writer(_BomFirst(out) if bom else out, **options)

    def writerow(self, values: Iterable[Any]) -> Any:
        return self._writer.writerow(guard_row(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: TextIO, *, bom: bool = True, **options: Any) -> GuardedWriter:
    return GuardedWriter(out, bom=bom, **options)


def csv_response(*, filename: str) -> tuple[HttpResponse, GuardedWriter]:
    """An attachment response (BOM written, charset declared) and a guarded writer into it."""
    response = HttpResponse(content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, csv_writer(response)


def xlsx_cell(worksheet, value: Any):
    """A write-only openpyxl cell that holds `value`; text is never stored as a formula."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(worksheet, value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl makes "=..." a formula ("f")
        if needs_guard(value):
            cell.quotePrefix = True
    return cell
