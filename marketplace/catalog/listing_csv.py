"""The listings CSV format: parsing, row validation and writing, with no database access.

Kept apart from the step that applies rows (`cms.listing_io`) so the format can be checked
alone and so that every row is validated before anything is written: an import is all or
nothing. Messages are `line N, column: reason`, N counting physical file lines (header = 1).
"""
from __future__ import annotations

import csv
import dataclasses
import functools
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import TextIO

from phonenumber_field.phonenumber import PhoneNumber

from marketplace import spreadsheets

from .models import SKU_VALIDATOR

COLUMNS: tuple[str, ...] = (
    "sku", "name", "description", "category", "unit", "price_vnd", "stock", "ocop_stars", "producer", "commune_code",
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("weight_gram", "producer_phone")
EXPORT_COLUMNS: tuple[str, ...] = COLUMNS + ("weight_gram",)

MAX_PRICE_VND = 10**11  # as ProductPageSku's validator
MAX_STOCK = 2_147_483_647  # PositiveIntegerField on every supported database
MAX_WEIGHT_GRAM = 2_147_483_647
MAX_LENGTHS = {"name": 200, "description": 500, "category": 100, "unit": 60, "producer": 200}
REQUIRED_TEXT = {"name": "tên sản phẩm", "unit": "quy cách", "producer": "tên nhà sản xuất"}
PLAIN_INTEGER = re.compile(r"^[0-9]+$")
COMMUNE_CODE = re.compile(r"^[0-9]{5}$")


@dataclasses.dataclass(frozen=True)
class RowError:
    """One problem, located so that a person can find it in a spreadsheet."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.reason}"


@dataclasses.dataclass(frozen=True)
class ListingRow:
    """One validated row = one SKU. `weight_given` is False when the file has no weight column,
    so that an update keeps the stored weight instead of clearing it."""

    line: int
    sku: str
    name: str
    description: str
    category: str
    unit: str
    price_vnd: int
    stock: int
    ocop_stars: int | None
    producer: str
    commune_code: str
    weight_gram: int | None = None
    weight_given: bool = False
    producer_phone: str = ""

    @functools.cached_property
    def product_key(self) -> tuple[str, str, str]:
        """Rows with the same key are SKUs of one product (same producer in the same commune, same name)."""
        return (self.commune_code, fold_key(self.producer), fold_key(self.name))

    @functools.cached_property
    def producer_key(self) -> tuple[str, str]:
        return (self.commune_code, fold_key(self.producer))


def clean_text(value: str) -> str:
    """Trim and use composed Unicode, so names typed on different keyboards compare equal."""
    return unicodedata.normalize("NFC", value).strip()


def fold_key(value: str) -> str:
    """Case-insensitive key that also works for Vietnamese letters (SQLite's iexact does not)."""
    return " ".join(clean_text(value).casefold().split())


def decode(data: bytes) -> tuple[str | None, RowError | None]:
    """UTF-8 with or without a BOM; otherwise one error naming the line where decoding failed."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start: exc.start + 1].hex().upper()
        reason = f'tệp không phải UTF-8 (byte 0x{byte} không hợp lệ); hãy lưu lại dạng "CSV UTF-8"'
        return None, RowError(line, "encoding", reason)


def parse_listings(data: bytes) -> tuple[list[ListingRow], list[RowError]]:
    """Decode, read and validate a whole file. Returns the valid rows and every error found."""
    text, error = decode(data)
    if error:
        return [], [error]
    if not text.strip():
        return [], [RowError(1, "header", f'tệp trống, cần dòng tiêu đề "{",".join(COLUMNS)}"')]
    records = _records(text)
    _, header_cells, error = next(records)
    if error:
        return [], [dataclasses.replace(error, column="header")]
    header = [clean_text(h).lower() for h in header_cells]
    errors = _header_errors(header)
    if errors:
        return [], errors
    rows: list[ListingRow] = []
    first_line_of_sku: dict[str, int] = {}
    for start, cells, error in records:
        if error:
            errors.append(error)
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):  # fewer is fine: trailing empty cells are often left out
            reason = f"dòng có {len(cells)} ô nhưng tiêu đề chỉ có {len(header)} cột (thừa dấu phẩy?)"
            errors.append(RowError(start, "row", reason))
            continue
        row, row_errors = parse_row(start, dict(zip(header, cells)), weight_given="weight_gram" in header)
        errors.extend(row_errors)
        if row is None:
            continue
        if row.sku in first_line_of_sku:
            errors.append(RowError(start, "sku", f'mã SKU "{row.sku}" đã có ở dòng {first_line_of_sku[row.sku]}'))
            continue
        first_line_of_sku[row.sku] = start
        rows.append(row)
    errors.extend(_product_consistency_errors(rows))
    return rows, sorted(errors, key=lambda e: e.line)


def _records(text: str) -> Iterator[tuple[int, list[str], RowError | None]]:
    """(first line of the record, its cells, None), or (line, [], the error) for a record the
    csv module refuses (a cell over its field size limit): that record is lost, reading goes on."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    while True:
        start = line
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            reason = f"ô dài quá {csv.field_size_limit()} ký tự (giới hạn của trình đọc CSV), hoặc thiếu dấu ngoặc kép đóng"
            yield start, [], RowError(start, "row", reason)
        else:
            yield start, cells, None
        line = reader.line_num + 1


def _header_errors(header: list[str]) -> list[RowError]:
    errors = [RowError(1, column, "thiếu cột") for column in COLUMNS if column not in header]
    known = set(COLUMNS + OPTIONAL_COLUMNS)
    repeated = sorted({h for h in header if h in known and header.count(h) > 1})
    errors += [RowError(1, column, "cột bị lặp lại") for column in repeated]
    return errors


def parse_row(line: int, cells: dict[str, str], *, weight_given: bool) -> tuple[ListingRow | None, list[RowError]]:
    """Validate one row's cells; a row with any error yields no ListingRow."""
    values = {column: clean_text(spreadsheets.unguard(cells.get(column, ""))) for column in COLUMNS + OPTIONAL_COLUMNS}
    errors: list[RowError] = []

    def fail(column: str, reason: str) -> None:
        errors.append(RowError(line, column, reason))

    for column, value in values.items():
        if "\x00" in value:  # PostgreSQL refuses NUL in text; it is never meant in a listing
            fail(column, "ô chứa ký tự NUL (0x00); hãy lưu lại tệp dạng CSV UTF-8")
            values[column] = value.replace("\x00", "")
    sku = values["sku"]
    if not SKU_VALIDATOR.regex.match(sku):
        fail("sku", f'mã SKU gồm 1–64 ký tự A–Z a–z 0–9 . _ -, nhận được "{sku}"')
    for column, label in REQUIRED_TEXT.items():
        if not values[column]:
            fail(column, f"cần {label}")
    for column, limit in MAX_LENGTHS.items():
        if len(values[column]) > limit:
            fail(column, f"dài quá {limit} ký tự ({len(values[column])})")
    price = _integer(values["price_vnd"], minimum=1, maximum=MAX_PRICE_VND)
    if price is None:
        fail("price_vnd", f'giá phải là số nguyên dương (đồng), nhận được "{values["price_vnd"]}"')
    stock = _integer(values["stock"], minimum=0, maximum=MAX_STOCK)
    if stock is None:
        fail("stock", f'tồn kho phải là số nguyên không âm, nhận được "{values["stock"]}"')
    stars = _stars(values["ocop_stars"])
    if stars is False:
        fail("ocop_stars", f'hạng sao OCOP phải là 3, 4, 5 hoặc để trống, nhận được "{values["ocop_stars"]}"')
    if not COMMUNE_CODE.match(values["commune_code"]):
        fail("commune_code", f'mã xã/phường gồm 5 chữ số (danh mục 2025), nhận được "{values["commune_code"]}"')
    weight = None
    if values["weight_gram"]:
        weight = _integer(values["weight_gram"], minimum=0, maximum=MAX_WEIGHT_GRAM)
        if weight is None:
            fail("weight_gram", f'khối lượng phải là số nguyên không âm (gam), nhận được "{values["weight_gram"]}"')
    phone = values["producer_phone"]
    if phone and not _valid_phone(phone):
        fail("producer_phone", f'số điện thoại không hợp lệ, nhận được "{phone}"')
    if errors:
        return None, errors
    return ListingRow(
        line=line, sku=sku, name=values["name"], description=values["description"], category=values["category"],
        unit=values["unit"], price_vnd=price, stock=stock, ocop_stars=stars, producer=values["producer"],
        commune_code=values["commune_code"], weight_gram=weight, weight_given=weight_given, producer_phone=phone,
    ), []


def _integer(value: str, *, minimum: int, maximum: int) -> int | None:
    """Plain digits only: "120.000", "120,000", "1e5", "-5" and "12.5" are refused, not guessed."""
    if not PLAIN_INTEGER.match(value):
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


def _stars(value: str) -> int | None | bool:
    """None when empty, the number when 3–5, False when invalid."""
    if not value:
        return None
    return int(value) if value in ("3", "4", "5") else False


def _valid_phone(value: str) -> bool:
    try:
        return PhoneNumber.from_string(value, region="VN").is_valid()
    except Exception:  # phonenumbers raises NumberParseException for text that is no number at all
        return False


def _product_consistency_errors(rows: list[ListingRow]) -> list[RowError]:
    """Rows of one product must not disagree on product-level fields (an empty cell agrees)."""
    errors: list[RowError] = []
    first: dict[tuple[str, str, str], ListingRow] = {}
    for row in rows:
        lead = first.setdefault(row.product_key, row)
        if lead is row:
            continue
        for column in ("description", "category", "ocop_stars"):
            mine, theirs = getattr(row, column), getattr(lead, column)
            if mine not in ("", None) and theirs not in ("", None) and mine != theirs:
                errors.append(RowError(row.line, column, f'khác với dòng {lead.line} của cùng sản phẩm "{lead.name}"'))
    return errors


def write_listings(out: TextIO, rows: Iterable[ListingRow]) -> int:
    """Write the export header and rows in the format `parse_listings` reads; returns the row count.

    The file starts with a BOM and a text that a spreadsheet would run as a formula is written
    with a leading apostrophe (`marketplace.spreadsheets`); `parse_row` takes exactly that
    apostrophe off again, so export → import changes nothing, a description starting with "-"
    included."""
    writer = spreadsheets.csv_writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row in rows:
        writer.writerow([
            row.sku, row.name, row.description, row.category, row.unit, row.price_vnd, row.stock,
            "" if row.ocop_stars is None else row.ocop_stars, row.producer, row.commune_code,
            "" if row.weight_gram is None else row.weight_gram,
        ])
        count += 1
    return count
