"""Wagtail's admin spreadsheet exports (CSV/XLSX) written through `marketplace.spreadsheets`.

Every Wagtail listing with "Download CSV/XLSX" shares `SpreadsheetExportMixin`: our reports
(expiring certificates) and Wagtail's own (site history, form submissions, snippet listings),
which export texts that producers type, page titles included. Wagtail writes those CSVs
without guarding formulas, without a BOM and without a charset, and no setting changes that,
so the mixin's three writing methods are replaced once, at start-up, for every view at once.
"""
from __future__ import annotations

import csv
import datetime

from wagtail.admin.views import mixins

from marketplace import spreadsheets


def _write_csv_row(self, writer, row_dict):
    return writer.writerow({
        field: spreadsheets.guard(self.preprocess_field_value(field, value, self.FORMAT_CSV))
        for field, value in row_dict.items()
    })


def _stream_csv(self, queryset):
    writer = csv.DictWriter(mixins.Echo(), fieldnames=self.list_export)
    headings = {field: spreadsheets.guard(self.get_heading(queryset, field)) for field in self.list_export}
    yield spreadsheets.BOM.encode() + writer.writerow(headings)  # Echo hands back UTF-8 bytes
    for item in queryset:
        yield self.write_csv_row(writer, self.to_row_dict(item))


def _generate_xlsx_row(self, worksheet, row_dict, date_format=None):
    for field, value in row_dict.items():
        cell = spreadsheets.xlsx_cell(worksheet, self.preprocess_field_value(field, value, self.FORMAT_XLSX))
        if date_format and isinstance(value, datetime.datetime):
            cell.number_format = date_format
        yield cell


_wagtail_csv_response = mixins.SpreadsheetExportMixin.write_csv_response


def _write_csv_response(self, queryset):
    response = _wagtail_csv_response(self, queryset)
    response["Content-Type"] = spreadsheets.CSV_CONTENT_TYPE
    return response


def install() -> None:
    mixin = mixins.SpreadsheetExportMixin
    mixin.write_csv_row = _write_csv_row
    mixin.stream_csv = _stream_csv
    mixin.generate_xlsx_row = _generate_xlsx_row
    mixin.write_csv_response = _write_csv_response
