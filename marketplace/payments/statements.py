"""Reading bank credits: statement CSV files (our header, or another bank's through a column
mapping) and the JSON body of a bank notification. Pure parsing: no database writes.

Errors are `line N, column: reason` (N counts file lines, the header is line 1)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

from .services.reconciliation import BankRow

FIELDS = ("date", "amount_vnd", "description", "transaction_id")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
GROUPED = re.compile(r"^\d{1,3}([.,]\d{3})+$")


class StatementError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def mapping_parse(text: str) -> dict[str, str]:
    """`date=Ngày,amount_vnd=Số tiền` → {"date": "Ngày", ...}; fields not named keep their own name."""
    mapping = {field: field for field in FIELDS}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        field, sep, column = part.partition("=")
        if not sep or field.strip() not in FIELDS or not column.strip():
            raise StatementError([f"mapping: “{part}” must be FIELD=COLUMN with FIELD one of {', '.join(FIELDS)}"])
        mapping[field.strip()] = column.strip()
    return mapping


def parse_date(value: str) -> dt.date:
    value = value.strip()
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError("không đọc được ngày (dùng YYYY-MM-DD hoặc DD/MM/YYYY)")


def parse_amount(value) -> int:
    """Whole đồng: `150000`, `150.000` or `150,000`; must be positive."""
    if isinstance(value, bool):
        raise ValueError("số tiền phải là số nguyên đồng")
    if isinstance(value, int):
        amount = value
    else:
        text = str(value).strip().replace(" ", "")
        if GROUPED.match(text):
            text = re.sub(r"[.,]", "", text)
        if not text.isdigit():
            raise ValueError("số tiền phải là số nguyên đồng, ví dụ 150000")
        amount = int(text)
    if amount <= 0:
        raise ValueError("số tiền phải lớn hơn 0")
    if amount > 10**15:
        raise ValueError("số tiền quá lớn")
    return amount


def row_parse(values: dict) -> tuple[BankRow | None, list[tuple[str, str]]]:
    """One credit from field values; returns (row, [(field, reason), ...])."""
    errors: list[tuple[str, str]] = []
    parsed: dict = {}
    for field, parse in (("date", parse_date), ("amount_vnd", parse_amount)):
        try:
            parsed[field] = parse(values.get(field) if values.get(field) is not None else "")
        except (ValueError, TypeError) as error:
            errors.append((field, str(error)))
    transaction_id = str(values.get("transaction_id") or "").strip()
    if not transaction_id or len(transaction_id) > 100:
        errors.append(("transaction_id", "thiếu mã giao dịch (tối đa 100 ký tự)"))
    description = str(values.get("description") or "").strip()
    if len(description) > 500:
        errors.append(("description", "nội dung dài quá 500 ký tự"))
    if errors:
        return None, errors
    return BankRow(transaction_id=transaction_id, booked_on=parsed["date"], amount_vnd=parsed["amount_vnd"],
                   description=description), []


def statement_parse(*, text: str, mapping: dict[str, str] | None = None) -> list[BankRow]:
    """All rows of a statement, or StatementError with every problem found."""
    mapping = mapping or {field: field for field in FIELDS}
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [column for column in mapping.values() if column not in header]
    if missing:
        raise StatementError([f"line 1, {column}: thiếu cột" for column in missing])
    reader.fieldnames = header
    rows, errors, seen = [], [], {}
    for record in reader:
        line = reader.line_num
        row, problems = row_parse({field: record.get(column) for field, column in mapping.items()})
        errors += [f"line {line}, {mapping[field]}: {reason}" for field, reason in problems]
        if row is not None:
            if row.transaction_id in seen:
                errors.append(f"line {line}, {mapping['transaction_id']}: mã giao dịch trùng với dòng {seen[row.transaction_id]}")
            seen.setdefault(row.transaction_id, line)
            rows.append(row)
    if errors:
        raise StatementError(errors)
    return rows
