"""import_listings / export_listings: all-or-nothing CSV import, per-row errors, round trip."""
import io

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import Page, Revision

from cms.models import ProductPage
from marketplace.catalog.listing_csv import COLUMNS
from marketplace.catalog.models import Category, OcopCertificate, Producer, Product, Sku, Stock
from tests import factories

HEADER = ",".join(COLUMNS) + ",weight_gram,producer_phone"
GOOD = [
    'GP-CHUOI-1KG,Chuối sấy Gia Phú,"Chuối tây sấy dẻo, không đường",Thực phẩm,túi 1kg,120000,15,4,'
    "HTX Chuối Gia Phú Mới,02923,1000,0912345678",
    "GP-CHUOI-250,Chuối sấy Gia Phú,,,túi 250g,35000,40,4,htx chuối gia phú mới,02923,250,",
    "DP-TRA-100,Trà sen Đan Phượng,Trà ướp sen,do-uong,hộp 100g,90000,0,,Hộ Nguyễn Văn An,09784,,0987654321",
]


def write(tmp_path, lines, *, header=HEADER, name="listings.csv", bom=False) -> str:
    path = tmp_path / name
    path.write_text(("\ufeff" if bom else "") + "\n".join([header, *lines]) + "\n", encoding="utf-8")
    return str(path)


def run(path, *args) -> str:
    out = io.StringIO()
    call_command("import_listings", path, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def run_failing(path, *args) -> list[str]:
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_listings", path, *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue().splitlines()


def snapshot() -> dict:
    """Everything an import may touch; equal snapshots mean nothing changed."""
    return {
        "producers": list(Producer.objects.order_by("pk").values_list("pk", "name", "status")),
        "products": list(Product.objects.order_by("pk").values_list("pk", "name", "description", "category_id", "is_published")),
        "skus": list(Sku.objects.order_by("pk").values_list(
            "pk", "code", "product_id", "unit", "price_vnd", "weight_gram", "is_active")),
        "stock": list(Stock.objects.order_by("pk").values_list("pk", "on_hand", "reserved")),
        "certificates": list(OcopCertificate.objects.order_by("pk").values_list("pk", "product_id", "stars")),
        "categories": list(Category.objects.order_by("pk").values_list("pk", "slug")),
        "pages": Page.objects.count(),
        "revisions": Revision.objects.count(),
    }


def test_good_file_creates_published_products_with_skus_stock_stars_and_categories(db, tmp_path):
    output = run(write(tmp_path, GOOD))

    chuoi = Product.objects.get(name="Chuối sấy Gia Phú")
    assert chuoi.is_published and chuoi.description == "Chuối tây sấy dẻo, không đường"
    assert chuoi.category.name == "Thực phẩm"
    assert chuoi.producer.name == "HTX Chuối Gia Phú Mới" and chuoi.producer.commune.code == "02923"
    assert chuoi.producer.kind == Producer.Kind.COOPERATIVE and chuoi.producer.is_approved
    assert [(s.code, s.unit, s.price_vnd, s.weight_gram, s.stock.on_hand) for s in chuoi.skus.order_by("position")] == [
        ("GP-CHUOI-1KG", "túi 1kg", 120000, 1000, 15), ("GP-CHUOI-250", "túi 250g", 35000, 250, 40)]
    certificate = chuoi.certificates.get()
    assert certificate.stars == 4 and certificate.needs_completion and chuoi.current_certificate() == certificate
    page = ProductPage.objects.get(product=chuoi)
    assert page.live and page.get_parent().specific.producer == chuoi.producer and page.get_parent().live
    assert page.live_revision == page.latest_revision and page.live_revision.as_object().sku_rows.count() == 2
    assert page.get_parent().get_parent().specific.admin_unit.code == "02923"

    tra = Product.objects.get(name="Trà sen Đan Phượng")
    assert tra.producer.kind == Producer.Kind.HOUSEHOLD and tra.producer.commune.code == "09784"
    assert tra.category.slug == "do-uong" and not tra.certificates.exists()
    assert tra.skus.get().weight_gram is None and tra.skus.get().stock.on_hand == 0
    assert "Sản phẩm: 2 tạo mới, 0 cập nhật, 0 không đổi. SKU: 3 tạo mới, 0 cập nhật. Nhà sản xuất mới: 2." in output


def test_two_rows_of_one_producer_and_name_are_one_product_with_two_skus(db, tmp_path):
    run(write(tmp_path, GOOD[:2]))
    product = Product.objects.get()
    assert sorted(product.skus.values_list("code", flat=True)) == ["GP-CHUOI-1KG", "GP-CHUOI-250"]
    assert ProductPage.objects.filter(product=product).count() == 1


def test_existing_producer_is_matched_case_insensitively_and_needs_no_phone(db, tmp_path):
    page = factories.producer_page(commune=factories.commune("02923"), name="HTX Chuối Gia Phú")
    run(write(tmp_path, ["GP-X-1,Mứt chuối,,thuc-pham,hộp 200g,50000,3,,HTX CHUỐI GIA PHÚ,02923,,"]))
    assert Product.objects.get().producer == page.producer
    assert Producer.objects.count() == 1


def test_second_import_of_the_same_file_changes_nothing(db, tmp_path):
    path = write(tmp_path, GOOD)
    run(path)
    before = snapshot()
    output = run(path)
    assert snapshot() == before
    assert "Sản phẩm: 0 tạo mới, 0 cập nhật, 2 không đổi. SKU: 0 tạo mới, 0 cập nhật." in output


def test_known_sku_updates_price_unit_weight_name_and_stock_without_duplicating_stars(db, tmp_path):
    run(write(tmp_path, GOOD))
    changed = 'GP-CHUOI-1KG,Chuối sấy dẻo Gia Phú,,,túi 1 kg,125000,7,4,HTX Chuối Gia Phú Mới,02923,990,'
    output = run(write(tmp_path, [changed], name="update.csv"))

    sku = Sku.objects.get(code="GP-CHUOI-1KG")
    assert (sku.unit, sku.price_vnd, sku.weight_gram, sku.stock.on_hand) == ("túi 1 kg", 125000, 990, 7)
    product = sku.product
    assert product.name == "Chuối sấy dẻo Gia Phú" and product.is_published
    assert product.description == "Chuối tây sấy dẻo, không đường" and product.category.name == "Thực phẩm"
    assert product.skus.filter(is_active=True).count() == 2  # the SKU not in the file stays
    assert product.certificates.count() == 1
    assert ProductPage.objects.get(product=product).title == "Chuối sấy dẻo Gia Phú"
    assert Product.objects.count() == 2
    assert "Sản phẩm: 0 tạo mới, 1 cập nhật, 0 không đổi. SKU: 0 tạo mới, 1 cập nhật." in output


def test_category_is_found_by_slug_or_name_in_any_case_and_created_once(db, tmp_path):
    Category.objects.create(name="Đồ uống", slug="do-uong")
    lines = [
        "C-1,Trà A,,do-uong,gói,1000,1,,HTX A,02923,,0912345678",
        "C-2,Trà B,,ĐỒ UỐNG,gói,1000,1,,HTX A,02923,,",
        "C-3,Mứt A,,Mứt sấy,gói,1000,1,,HTX A,02923,,",
        "C-4,Mứt B,,MỨT SẤY,gói,1000,1,,HTX A,02923,,",
    ]
    output = run(write(tmp_path, lines))
    assert set(Product.objects.values_list("category__slug", flat=True)) == {"do-uong", "mut-say"}
    assert Category.objects.get(slug="mut-say").name == "Mứt sấy"
    assert "Ngành hàng mới: 1." in output


def test_bom_is_accepted(db, tmp_path):
    run(write(tmp_path, GOOD[:1], bom=True))
    assert Sku.objects.filter(code="GP-CHUOI-1KG").exists()


def test_header_without_optional_columns_is_enough_for_existing_producers(db, tmp_path):
    """Unknown extra columns are ignored, and trailing empty cells may be left out."""
    factories.producer_page(commune=factories.commune("09784"), name="Hộ Nguyễn Văn An")
    run(write(tmp_path, ["DP-1,Trà sen,,,hộp,90000,2,5,Hộ Nguyễn Văn An,09784"], header=",".join(COLUMNS) + ",ghi_chu_la"))
    assert Product.objects.get().current_certificate().stars == 5


BAD_CASES = {
    "unknown commune": (
        [GOOD[0], "X-1,Tên,,,gói,1000,1,,HTX A,99999,,0912345678"],
        ['line 3, commune_code: không có xã/phường mã "99999" trong danh mục 2025'],
    ),
    "stars 2": (
        [GOOD[0], "X-1,Tên,,,gói,1000,1,2,HTX A,02923,,0912345678"],
        ['line 3, ocop_stars: hạng sao OCOP phải là 3, 4, 5 hoặc để trống, nhận được "2"'],
    ),
    "stars 6": (
        ["X-1,Tên,,,gói,1000,1,6,HTX A,02923,,0912345678", GOOD[0]],
        ['line 2, ocop_stars: hạng sao OCOP phải là 3, 4, 5 hoặc để trống, nhận được "6"'],
    ),
    "negative price": (
        [GOOD[0], "X-1,Tên,,,gói,-5,1,,HTX A,02923,,0912345678"],
        ['line 3, price_vnd: giá phải là số nguyên dương (đồng), nhận được "-5"'],
    ),
    "decimal price": (
        [GOOD[0], "X-1,Tên,,,gói,12.5,1,,HTX A,02923,,0912345678"],
        ['line 3, price_vnd: giá phải là số nguyên dương (đồng), nhận được "12.5"'],
    ),
    "thousands separator": (
        [GOOD[0], "X-1,Tên,,,gói,120.000,1,,HTX A,02923,,0912345678"],
        ['line 3, price_vnd: giá phải là số nguyên dương (đồng), nhận được "120.000"'],
    ),
    "bad stock": (
        [GOOD[0], "X-1,Tên,,,gói,1000,1e5,,HTX A,02923,,0912345678"],
        ['line 3, stock: tồn kho phải là số nguyên không âm, nhận được "1e5"'],
    ),
    "duplicate sku": (
        [GOOD[0], GOOD[1], GOOD[0].replace("túi 1kg", "túi 2kg")],
        ['line 4, sku: mã SKU "GP-CHUOI-1KG" đã có ở dòng 2'],
    ),
    "bad sku characters": (
        [GOOD[0], "GP CHUOI/2,Tên,,,gói,1000,1,,HTX A,02923,,0912345678"],
        ['line 3, sku: mã SKU gồm 1–64 ký tự A–Z a–z 0–9 . _ -, nhận được "GP CHUOI/2"'],
    ),
    "too many cells": (
        [GOOD[0], "X-1,Tên,,,gói,120,000,1,,HTX A,02923,,0912345678"],
        ["line 3, row: dòng có 13 ô nhưng tiêu đề chỉ có 12 cột (thừa dấu phẩy?)"],
    ),
    "new producer without phone": (
        [GOOD[0], "X-1,Tên,,,gói,1000,1,,Hộ Lê Thị B,02923,,"],
        ['line 3, producer_phone: cần số điện thoại cho nhà sản xuất mới "Hộ Lê Thị B"'],
    ),
    "format and catalogue errors together": (
        ["X-1,Tên,,,gói,1000,x,,HTX A,02923,,0912345678", "X-2,Tên,,,gói,1000,1,,HTX B,99999,,0912345678"],
        ['line 2, stock: tồn kho phải là số nguyên không âm, nhận được "x"',
         'line 3, commune_code: không có xã/phường mã "99999" trong danh mục 2025'],
    ),
    "several errors in one file": (
        [GOOD[0], "X-1,Tên,,,gói,abc,1,7,HTX A,02923,,0912345678", "X-2,,,,gói,1000,-1,,HTX A,1234,,0912345678"],
        ['line 3, price_vnd: giá phải là số nguyên dương (đồng), nhận được "abc"',
         'line 3, ocop_stars: hạng sao OCOP phải là 3, 4, 5 hoặc để trống, nhận được "7"',
         "line 4, name: cần tên sản phẩm",
         'line 4, stock: tồn kho phải là số nguyên không âm, nhận được "-1"',
         'line 4, commune_code: mã xã/phường gồm 5 chữ số (danh mục 2025), nhận được "1234"'],
    ),
}


@pytest.mark.parametrize("lines,expected", BAD_CASES.values(), ids=BAD_CASES.keys())
def test_bad_rows_are_reported_by_line_and_column_and_nothing_changes(db, tmp_path, lines, expected):
    before = snapshot()
    assert run_failing(write(tmp_path, lines)) == expected
    assert snapshot() == before


def test_a_bad_row_after_an_update_leaves_the_earlier_data_untouched(db, tmp_path):
    run(write(tmp_path, GOOD))
    before = snapshot()
    update = GOOD[0].replace("120000", "99000")
    assert run_failing(write(tmp_path, [update, "X-1,Tên,,,gói,0,1,,HTX A,02923,,0912345678"], name="b.csv")) == [
        'line 3, price_vnd: giá phải là số nguyên dương (đồng), nhận được "0"']
    assert snapshot() == before


def test_missing_column_is_reported_on_line_1(db, tmp_path):
    header = HEADER.replace(",stock,", ",")
    lines = [GOOD[0].replace(",15,4,", ",4,")]
    assert run_failing(write(tmp_path, lines, header=header)) == ["line 1, stock: thiếu cột"]
    assert not Product.objects.exists()


def test_latin1_file_is_one_encoding_error_naming_the_line(db, tmp_path):
    path = tmp_path / "latin1.csv"
    lines = [HEADER, "X-1,Cafe,,,goi,1000,1,,HTX A,02923,,0912345678", "X-2,Caf\xe9,,,goi,1000,1,,HTX A,02923,,"]
    path.write_bytes("\n".join(lines).encode("latin-1"))
    errors = run_failing(str(path))
    assert len(errors) == 1 and errors[0].startswith("line 3, encoding: tệp không phải UTF-8")
    assert not Product.objects.exists()


def test_empty_file_is_an_error(db, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert run_failing(str(path)) == [f'line 1, header: tệp trống, cần dòng tiêu đề "{",".join(COLUMNS)}"']


def test_sku_of_another_producer_is_not_moved(db, tmp_path):
    run(write(tmp_path, GOOD))
    before = snapshot()
    moved = GOOD[2].replace("Hộ Nguyễn Văn An,09784", "HTX Chuối Gia Phú Mới,02923")
    assert run_failing(write(tmp_path, [moved], name="moved.csv")) == [
        'line 2, producer: mã SKU "DP-TRA-100" đang thuộc "Trà sen Đan Phượng" của "Hộ Nguyễn Văn An" (Xã Đan Phượng); '
        "không chuyển SKU sang nhà sản xuất khác"]
    assert snapshot() == before


def test_dry_run_validates_reports_and_changes_nothing(db, tmp_path):
    before = snapshot()
    output = run(write(tmp_path, GOOD), "--dry-run")
    assert snapshot() == before
    assert 'Nhà sản xuất mới: "HTX Chuối Gia Phú Mới" (Xã Gia Phú)' in output
    assert 'Tạo sản phẩm "Chuối sấy Gia Phú"' in output and "GP-CHUOI-250 (mới)" in output
    assert "Chạy thử, chưa ghi gì" in output and "Sản phẩm: 2 tạo mới" in output
    bad = write(tmp_path, [GOOD[0].replace(",4,", ",9,")], name="bad.csv")
    assert run_failing(bad, "--dry-run")[0].startswith("line 2, ocop_stars:")


def test_export_then_import_round_trips_with_no_changes(db, tmp_path, make_listing):
    run(write(tmp_path, GOOD))
    make_listing(name="Mật ong bạc hà", stars=5)  # built through the admin's services, with decision details
    make_listing(name="Gạo nếp", stars=None, skus=[factories.catalog.SkuData("GN-5KG", "túi 5kg", 150000, None),
                                                   factories.catalog.SkuData("GN-1KG", "túi 1kg", 32000, 1000)])
    exported = tmp_path / "export.csv"
    call_command("export_listings", str(exported), stdout=io.StringIO())
    text = exported.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "\ufeff" + ",".join(COLUMNS) + ",weight_gram"  # a BOM, for Excel
    assert len(text.splitlines()) == 1 + 3 + 1 + 2

    before = snapshot()
    output = run(str(exported))
    assert snapshot() == before
    assert "0 tạo mới, 0 cập nhật, 4 không đổi" in output

    stdout = io.StringIO()
    call_command("export_listings", stdout=stdout)
    assert stdout.getvalue() == text


def test_stock_below_reserved_and_unapproved_draft_are_refused(db, tmp_path, make_listing):
    page = make_listing(name="Miến dong", stars=None, skus=[factories.catalog.SkuData("MD-1", "gói 500g", 40000, 500)], stock=5)
    Stock.objects.filter(sku__code="MD-1").update(reserved=3)
    producer = page.product.producer.name
    row = f"MD-1,Miến dong,,,gói 500g,{{price}},{{stock}},,{producer},02923,500,"
    before = snapshot()
    assert run_failing(write(tmp_path, [row.format(price=40000, stock=2)])) == [
        "line 2, stock: không đặt được tồn kho 2 vì đang giữ 3 cho đơn hàng"]
    assert snapshot() == before
    page.specific.save_revision()  # a producer's edit waiting for the commune editor
    before = snapshot()
    assert run_failing(write(tmp_path, [row.format(price=45000, stock=5)], name="draft.csv")) == [
        'line 2, name: trang sản phẩm "Miến dong" có bản nháp chưa duyệt; hãy duyệt hoặc huỷ bản nháp rồi nhập lại']
    assert snapshot() == before
    run(write(tmp_path, [row.format(price=40000, stock=9)], name="stock-only.csv"))  # stock is not page content
    assert Stock.objects.get(sku__code="MD-1").on_hand == 9


def test_no_new_product_for_a_producer_waiting_for_approval(db, tmp_path):
    factories.ProducerFactory(commune=factories.commune("02923"), name="Hộ Măng rừng", status=Producer.Status.PENDING)
    before = snapshot()
    assert run_failing(write(tmp_path, ["MR-1,Măng khô,,,gói,80000,1,,Hộ Măng rừng,02923,,"])) == [
        'line 2, producer: nhà sản xuất "Hộ Măng rừng" chưa được duyệt (Chờ duyệt) nên chưa tạo được sản phẩm mới']
    assert snapshot() == before


def test_nul_bytes_and_cells_over_the_csv_limit_are_row_errors_not_tracebacks(db, tmp_path):
    import csv

    limit = csv.field_size_limit()
    lines = [
        GOOD[0],
        "X-1,Trà\x00 sen,,,gói,1000,1,,HTX A,02923,,0912345678",
        "X-2,Trà,\"" + "dài " * (limit // 4 + 10) + "\",,gói,1000,1,,HTX A,02923,,0912345678",
        "X-3,Trà,,,gói,1000,1,,HTX A,02923,,0912345678",
        "X-4\x00,Trà,,,gói,1000,x,,HTX A,02923,,0912345678",
    ]
    before = snapshot()
    assert run_failing(write(tmp_path, lines)) == [
        "line 3, name: ô chứa ký tự NUL (0x00); hãy lưu lại tệp dạng CSV UTF-8",
        f"line 4, row: ô dài quá {limit} ký tự (giới hạn của trình đọc CSV), hoặc thiếu dấu ngoặc kép đóng",
        "line 6, sku: ô chứa ký tự NUL (0x00); hãy lưu lại tệp dạng CSV UTF-8",
        'line 6, stock: tồn kho phải là số nguyên không âm, nhận được "x"',
    ]
    assert snapshot() == before


def test_a_header_cell_over_the_csv_limit_is_a_header_error(db, tmp_path):
    import csv

    header = HEADER + ',"' + "x" * (csv.field_size_limit() + 1) + '"'
    errors = run_failing(write(tmp_path, GOOD[:1], header=header))
    assert len(errors) == 1 and errors[0].startswith("line 1, header: ô dài quá")
    assert not Product.objects.exists()


def test_a_failure_in_a_late_batch_undoes_the_batches_already_written(db, tmp_path, make_listing, monkeypatch):
    """Batches commit one by one (short write locks); a later failure deletes what they wrote."""
    from cms import listing_write

    other = make_listing(name="Mật ong", skus=[factories.catalog.SkuData("MO-1", "chai", 90000, None)])
    lines = GOOD + ["X-1,Mứt gừng,,,hũ,50000,3,,HTX Chuối Gia Phú Mới,02923,,",
                    "X-2,Mứt me,,,hũ,50000,3,,HTX Chuối Gia Phú Mới,02923,,"]
    monkeypatch.setattr(listing_write, "BATCH_PRODUCTS", 1)
    write_batch, batches = listing_write._write_new_products, []

    def batch_with_a_concurrent_edit(plans, *args):
        batches.append([p.lead.name for p in plans])
        if len(batches) == 4:
            written = Product.objects.get(name="Mứt gừng")  # committed by batch 3, not yet for sale
            assert not written.is_published and not ProductPage.objects.get(product=written).live
            # Meanwhile someone gives the last product's SKU code to another product.
            Sku.objects.create(product=other.product, code="X-2", unit="hũ", price_vnd=1)
        return write_batch(plans, *args)

    monkeypatch.setattr(listing_write, "_write_new_products", batch_with_a_concurrent_edit)
    before = snapshot()
    err = io.StringIO()
    with pytest.raises(CommandError, match="dữ liệu không thay đổi"):
        call_command("import_listings", write(tmp_path, lines), stdout=io.StringIO(), stderr=err)

    assert batches == [["Chuối sấy Gia Phú"], ["Trà sen Đan Phượng"], ["Mứt gừng"], ["Mứt me"]]
    Sku.objects.filter(code="X-2").delete()  # the concurrent edit is not the import's to undo
    assert snapshot() == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_large_import_commits_in_short_batches_not_one_long_transaction(tmp_path, monkeypatch):
    """One transaction for the whole file held the write lock until the end; now new products
    are written BATCH_PRODUCTS at a time, each batch committed before the next begins."""
    from django.db import connection

    from cms import listing_write

    monkeypatch.setattr(listing_write, "LOCK_GAP_S", 0)
    monkeypatch.setattr(listing_write, "BATCH_PRODUCTS", 3)
    count = 7
    lines = [f"L-{n},Sản phẩm {n},,,gói,1000,1,,HTX Lô,02923,,0912345678" for n in range(count)]
    commits, sku_inserts_after_commit = [0], []
    real_commit = connection.commit

    def commit():
        commits[0] += 1
        return real_commit()

    def watch(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "catalog_sku"'):
            sku_inserts_after_commit.append(commits[0])
        return execute(sql, params, many, context)

    monkeypatch.setattr(connection, "commit", commit)
    with connection.execute_wrapper(watch):
        run(write(tmp_path, lines))

    assert Sku.objects.filter(code__startswith="L-").count() == count
    assert len(set(sku_inserts_after_commit)) == 3  # three transactions: 3 + 3 + 1 products
