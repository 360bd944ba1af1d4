"""Statement parsing: amounts, dates, mappings, and `line N, column: reason` errors."""
import datetime as dt

import pytest

from marketplace.payments.services.reconciliation import references_in
from marketplace.payments.statements import StatementError, mapping_parse, parse_amount, parse_date, statement_parse


@pytest.mark.parametrize("text, amount", [("150000", 150000), ("150.000", 150000), ("1,250,000", 1250000), (" 50 000 ", 50000), (7, 7)])
def test_amounts(text, amount):
    assert parse_amount(text) == amount


@pytest.mark.parametrize("text", ["0", "-5", "1.5", "abc", "", "1.2345", True])
def test_bad_amounts(text):
    with pytest.raises(ValueError):
        parse_amount(text)


def test_dates():
    assert parse_date("2025-09-01") == parse_date("01/09/2025") == parse_date("01/09/2025 10:15:00") == dt.date(2025, 9, 1)


def test_references_found_in_mangled_descriptions():
    assert references_in("MBVCB.123 ocop ab23-cd45 thanh toan") == ["OCOPAB23CD45"]
    assert references_in("chuyen tien") == [] and references_in("OCOP0123ABCD") == []  # 0/1 are not in references


def test_mapping_and_errors():
    assert mapping_parse("date=Ngày, amount_vnd=Số tiền")["amount_vnd"] == "Số tiền"
    with pytest.raises(StatementError):
        mapping_parse("price=Giá")
    with pytest.raises(StatementError) as error:
        statement_parse(text="date,amount_vnd,description,transaction_id\n2025-09-01,10,x,A\nx,0,y,\n2025-09-01,5,z,A\n")
    assert error.value.errors == [
        "line 3, date: không đọc được ngày (dùng YYYY-MM-DD hoặc DD/MM/YYYY)",
        "line 3, amount_vnd: số tiền phải lớn hơn 0",
        "line 3, transaction_id: thiếu mã giao dịch (tối đa 100 ký tự)",
        "line 4, transaction_id: mã giao dịch trùng với dòng 2",
    ]
