"""End-to-end journeys in a real browser (Debian's chromium driven by Playwright).

Each test builds its own small data set with `tests.factories` (no demo load) and talks to
pytest-django's live server; see conftest.py for the browser, the 127.0.0.1-only network and
the restoring of the migrated data between these transactional tests.
"""
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET

import pytest
import segno
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.utils import timezone, translation

from cms import services
from marketplace.catalog import services as catalog
from marketplace.catalog.models import AdminUnit, Batch, Producer, Sku
from tests import factories

from .conftest import site_url

pytestmark = pytest.mark.browser

PASSWORD = "mat-khau-an-toan-123"  # tests.factories.UserFactory's
COMMUNE_CODE = "02923"  # Xã Gia Phú, Lào Cai


def _listing(*, name="Mật ong bạc hà Gia Phú", unit="hũ 500ml", price_vnd=120000, decision="1234/QĐ-UBND",
             issuer="UBND tỉnh Lào Cai", stars=4):
    issued_on = timezone.localdate() - dt.timedelta(days=90)  # valid (36 months) whenever the tests run
    commune = factories.commune(COMMUNE_CODE)
    producer_page = factories.producer_page(commune=commune, name="HTX Ong mật Gia Phú", address="Thôn Phú Hợp")
    page = factories.listing(
        producer_page=producer_page, name=name, skus=[catalog.SkuData("GP-MO-500", unit, price_vnd, 650)],
        stars=stars, decision_number=decision, issuer=issuer, issued_on=issued_on,
    )
    return producer_page, page


def _text(page) -> str:
    return " ".join(page.locator("body").inner_text().split())


def _login(page, username: str) -> None:
    page.goto("/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/admin/")


def _logout(page) -> None:
    """Through the sidebar's account menu, as a person would (the logout is a POST form)."""
    page.locator(".sidebar-footer__account").click()
    page.locator("form[action='/admin/logout/'] button[type=submit]").click()
    page.wait_for_url("**/admin/login/**")


# 1. Buyer ------------------------------------------------------------------------------------

def test_buyer_browses_from_home_to_a_product_in_vietnamese_then_english(live_site, new_context, tmp_path):
    producer_page, product_page = _listing()
    product = product_page.product
    certificate = product.current_certificate()
    commune = AdminUnit.objects.select_related("parent").get(pk=producer_page.producer.commune_id)
    commune_page = producer_page.get_parent().specific
    province_page = commune_page.get_parent().specific

    context = new_context()
    page = context.new_page()
    home = page.goto("/")
    assert home.status == 200
    assert page.locator("html").get_attribute("lang") == "vi"

    page.get_by_role("link", name=province_page.title, exact=True).click()
    page.wait_for_url(f"**{province_page.url}")
    assert page.locator("h1").inner_text() == province_page.title

    page.get_by_role("link", name=commune_page.title, exact=True).click()
    page.wait_for_url(f"**{commune_page.url}")
    assert page.locator("h1").inner_text() == commune_page.title
    assert commune.code in page.locator("main .muted").first.inner_text()
    # The producer list is there whatever becomes of the map (its tiles are blocked here).
    producers = page.locator("#producer-list li")
    assert producers.count() == 1
    assert producers.first.inner_text().startswith(producer_page.producer.name)
    page.wait_for_load_state("load")
    assert not [url for url in context.blocked_urls if "127.0.0.1" in url]

    page.locator("#producer-list").get_by_role("link", name=producer_page.producer.name).click()
    page.wait_for_url(f"**{producer_page.url}")
    assert page.locator("h1").inner_text() == producer_page.title

    page.locator("ul.grid").get_by_role("link", name=product.name).click()
    page.wait_for_url(f"**{product_page.url}")
    _assert_product_page_vi(page, product_page=product_page, producer_page=producer_page, certificate=certificate)
    page.screenshot(path=str(tmp_path / "product_page.png"), full_page=True)

    # English, through the header's language link.
    page.locator("header nav a[hreflang=en]").click()
    page.wait_for_url(f"**/en{product_page.url}")
    assert page.locator("html").get_attribute("lang") == "en"
    english = page.goto(page.url)  # the same URL served directly
    assert english.status == 200
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == product.name
    assert "120.000 ₫" in page.locator("td.price").first.inner_text()
    # Assert the English UI strings that have translations (a team member is adding them).
    with translation.override("en"):
        english_strings = {source: translation.gettext(source) for source in ("Cơ sở sản xuất", "Quy cách", "Giá", "Đăng ký bán hàng")}
    translated = {source: text for source, text in english_strings.items() if text != source}
    body = _text(page)
    for source, text in translated.items():
        assert text in body, f"the English for {source!r} ({text!r}) is not on the /en/ page"
    # Back to Vietnamese.
    page.locator("header nav a[hreflang=vi]").click()
    page.wait_for_url(f"**{product_page.url}")
    assert page.locator("html").get_attribute("lang") == "vi"


def test_search_box_suggests_product_names_while_typing(live_site, new_context):
    _listing()  # published: indexed after commit
    page = new_context().new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/")
    box = page.locator("header input[name=q]")
    box.press_sequentially("mat o", delay=40)
    option = page.locator(f"#{box.get_attribute('list')} option").first
    option.wait_for(state="attached")
    assert option.get_attribute("value") == "Mật ong bạc hà Gia Phú"
    box.fill("")
    box.press_sequentially("qqqzzz", delay=20)
    # A function, not an expression: the Content-Security-Policy forbids eval() in the page.
    page.wait_for_function(f"() => document.getElementById('{box.get_attribute('list')}').options.length === 0")
    # Picking a suggestion and pressing Enter searches for it; the words are marked in the result.
    box.fill("Mật ong bạc hà Gia Phú")
    box.press("Enter")
    page.wait_for_url("**/tim-kiem/?q=**")
    assert page.locator("#search-results h3 mark").first.inner_text() == "Mật"
    assert not errors


def _assert_product_page_vi(page, *, product_page, producer_page, certificate):
    assert page.locator("h1").inner_text() == product_page.title
    row = page.locator("article.product table tbody tr").first
    assert row.locator("td.price").inner_text() == "120.000 ₫"
    assert "hũ 500ml" in row.locator("td").first.inner_text()
    badge = page.locator("article.product .badge")
    assert badge.inner_text() == "OCOP ★★★★"
    details = " ".join(page.locator("article.product .badge + br + .muted").inner_text().split())
    assert "Quyết định 1234/QĐ-UBND" in details
    assert "UBND tỉnh Lào Cai" in details
    assert certificate.expires_on == certificate.issued_on + relativedelta(months=36)
    assert f"hiệu lực đến {certificate.expires_on:%d/%m/%Y}" in details
    producer_link = page.locator("article.product").get_by_role("link", name=producer_page.title)
    assert producer_link.get_attribute("href") == producer_page.url


def test_product_page_without_javascript_shows_the_same_content(live_site, new_context):
    producer_page, product_page = _listing()
    page = new_context(java_script_enabled=False).new_page()
    assert page.goto(product_page.url).status == 200
    _assert_product_page_vi(page, product_page=product_page, producer_page=producer_page,
                            certificate=product_page.product.current_certificate())
    # The commune page's producer list needs no JavaScript either; the map stays hidden.
    page.goto(producer_page.get_parent().url)
    assert page.locator("#map").is_hidden()
    assert page.locator("#producer-list li").first.inner_text().startswith(producer_page.producer.name)


# 2. Producer submits, editor approves --------------------------------------------------------

def test_producer_submits_a_price_change_and_the_commune_editor_approves_it(live_site, new_context):
    services.roles_setup()
    producer_page, product_page = _listing()
    producer_user = factories.UserFactory(username="nsx.ongmat")
    producer_page.producer.users.add(producer_user)
    services.producer_page_setup(producer_page=producer_page)
    editor_user = factories.UserFactory(username="bientap.giaphu")
    services.editor_assign(user=editor_user, commune_page=producer_page.get_parent().specific)
    sku = Sku.objects.get(code="GP-MO-500")
    assert sku.price_vnd == 120000

    page = new_context().new_page()
    admin_errors = []
    page.on("response", lambda r: r.status >= 500 and admin_errors.append(f"{r.status} {r.request.method} {r.url}"))

    # The producer changes the price and submits it for moderation.
    _login(page, producer_user.username)
    page.goto(f"/admin/pages/{product_page.pk}/edit/")
    price = page.locator("input[name='sku_rows-0-price_vnd']")
    assert price.input_value() == "120000"
    price.fill("150000")
    page.locator("footer .w-dropdown__toggle").click()
    submit = page.locator("footer button[name=action-submit]")
    assert submit.is_visible()
    workflow = product_page.get_workflow()
    assert workflow.name in submit.inner_text()  # "Thực hiện Duyệt xã Xã Gia Phú (02923)" (Wagtail's "Submit to …")
    with page.expect_navigation():
        submit.click()
    assert not admin_errors, admin_errors
    assert f"/admin/pages/{producer_page.pk}/" in page.url, (  # Wagtail goes back to the parent's listing
        f"the submission did not go through (workflow tasks: {list(workflow.tasks.all())}): "
        f"{page.url}\n{page.locator('.messages').inner_text()}"
    )
    messages = page.locator(".messages").inner_text()
    assert product_page.title in messages
    assert not page.locator(".messages li.error").count(), messages
    product_page.refresh_from_db()
    assert product_page.current_workflow_state is not None, "no workflow was started: the submission skipped moderation"
    assert product_page.current_workflow_task is not None

    # Not public yet.
    public = new_context().new_page()
    public.goto(product_page.url)
    assert public.locator("td.price").first.inner_text() == "120.000 ₫"
    sku.refresh_from_db()
    assert sku.price_vnd == 120000

    _logout(page)

    # The commune editor approves it from the dashboard's "awaiting your review" panel.
    _login(page, editor_user.username)
    panel = page.locator("#awaiting-review-section")
    row = panel.locator("tr", has=page.get_by_role("link", name=product_page.title))
    row.locator("button.w-dropdown__toggle").click()
    approve = row.locator("button[data-workflow-action-url*='/approve/']:not([data-launch-modal])")
    assert approve.inner_text().strip() in {"Phê chuẩn", "Approve"}
    with page.expect_navigation():
        approve.click()
    page.wait_for_load_state()
    assert not admin_errors, admin_errors
    product_page.refresh_from_db()
    assert product_page.current_workflow_state is None

    sku.refresh_from_db()
    assert sku.price_vnd == 150000
    public.goto(product_page.url)
    assert public.locator("td.price").first.inner_text() == "150.000 ₫"


# 3. Batch QR code → traceability page --------------------------------------------------------

def _batch():
    producer_page, product_page = _listing()
    return Batch.objects.create(
        product=product_page.product, lot_code="LO-2025-07", produced_on=dt.date(2025, 7, 15),
        best_before=dt.date(2026, 7, 15), growing_area_code="VN-LC-0123",
    ), producer_page


def _svg_modules(svg: str) -> list[list[int]]:
    """Read the dark modules back from segno's SVG path (`M x y`, `m dx dy`, `h n` in module units)."""
    root = ET.fromstring(svg)
    path = next(el for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "path")
    transform = re.fullmatch(r"scale\(([\d.]+)\)", path.get("transform") or "scale(1)")
    assert transform, f"unexpected SVG transform {path.get('transform')!r}"
    scale = float(transform.group(1))
    size = round(float(root.get("width")) / scale)
    grid = [[0] * size for _ in range(size)]
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:[ ,](-?[\d.]+))?", path.get("d")):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            for col in range(round(x), round(x + float(a))):
                grid[int(y)][col] = 1
            x += float(a)
    border = next(i for i, row in enumerate(grid) if any(row))
    return [row[border:size - border] for row in grid[border:size - border]]


def _pixel_modules(png: bytes) -> list[list[int]]:
    """Read the modules from a screenshot of a rendered QR code (dark pixel = dark module)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    dark = image.point(lambda p: 255 if p < 128 else 0)
    box = dark.getbbox()
    assert box, "the QR code image is blank"
    left, top, right, bottom = box
    run = 0
    while image.getpixel((left + run, top)) < 128:  # the top-left finder pattern is 7 modules wide
        run += 1
    module = run / 7
    n = round((right - left) / module)
    return [[int(image.getpixel((int(left + (c + 0.5) * module), int(top + (r + 0.5) * module))) < 128)
             for c in range(n)] for r in range(n)]


def _qr_matrix(url: str) -> list[list[int]]:
    return [list(row) for row in segno.make(url, error="m").matrix]


def test_batch_qr_code_encodes_its_traceability_page(live_site, page):
    batch, producer_page = _batch()
    response = page.request.get(f"/t/{batch.code}/qr.svg")
    assert response.status == 200
    assert response.headers["content-type"] == "image/svg+xml"
    url = f"{site_url(live_site)}/t/{batch.code}/"
    # No QR decoder is installed, so: the SVG's modules must be exactly the QR code of this URL.
    modules = _svg_modules(response.text())
    assert modules == _qr_matrix(url)
    assert modules != _qr_matrix(f"{site_url(live_site)}/t/{batch.code}x/")  # the comparison can fail

    assert page.goto(url).status == 200
    product = batch.product
    assert page.locator("h1").inner_text() == product.name
    body = _text(page)
    assert f"Lô {batch.lot_code}" in body
    assert "15/07/2025" in body
    assert producer_page.producer.name in body
    assert "Xã Gia Phú" in body and "Lào Cai" in body
    assert page.get_by_role("link", name="Xem sản phẩm").get_attribute("href") == product.page.url


def test_batch_qr_code_image_renders_on_the_traceability_page(live_site, page):
    """The <img> a visitor (or a printer) sees must show the same QR code as the SVG's data."""
    batch, _producer_page = _batch()
    page.goto(f"/t/{batch.code}/")
    image = page.locator(f"img[alt='QR {batch.code}']")
    image.wait_for()
    loaded = page.evaluate("img => img.complete && img.naturalWidth > 0", image.element_handle())
    assert loaded, "the browser cannot render /t/<code>/qr.svg as an image (a standalone SVG needs xmlns)"
    url = f"{site_url(live_site)}/t/{batch.code}/"
    assert _pixel_modules(image.screenshot()) == _qr_matrix(url)


# 4. Producer sign-up -------------------------------------------------------------------------

def test_producer_signup_shows_vietnamese_errors_then_confirms(live_site, page):
    response = page.goto("/dang-ky-nha-san-xuat/")
    assert response.status == 200
    page.fill("#id_name", "Hộ kinh doanh Trà Shan Tuyết Gia Phú")
    page.select_option("#id_kind", Producer.Kind.HOUSEHOLD.value)
    page.fill("#id_phone", "12345")
    page.fill("#id_address", "Thôn Phú Hợp 2")
    page.fill("#id_commune_code", COMMUNE_CODE)
    page.fill("#id_username", "tra.shantuyet")
    page.fill("#id_password", "Tra-Shan-Tuyet-2025")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Gửi đăng ký").click()
    assert navigation.value.status == 400
    assert page.get_by_role("alert").inner_text() == "Vui lòng sửa các lỗi bên dưới."
    body = _text(page)
    assert "Số điện thoại không đúng định dạng Việt Nam (ví dụ 0912 345 678)." in body
    assert "Cần đồng ý với chính sách bảo vệ dữ liệu cá nhân để đăng ký." in body
    assert page.locator("#id_phone").get_attribute("aria-invalid") == "true"
    assert page.locator("#id_consent").get_attribute("aria-invalid") == "true"
    # What was typed is kept (except the password, which is never sent back).
    assert page.input_value("#id_name") == "Hộ kinh doanh Trà Shan Tuyết Gia Phú"
    assert page.input_value("#id_kind") == Producer.Kind.HOUSEHOLD.value
    assert page.input_value("#id_phone") == "12345"
    assert page.input_value("#id_address") == "Thôn Phú Hợp 2"
    assert page.input_value("#id_commune_code") == COMMUNE_CODE
    assert page.input_value("#id_username") == "tra.shantuyet"
    assert not Producer.objects.filter(name__startswith="Hộ kinh doanh Trà").exists()

    page.fill("#id_phone", "0912 345 678")
    page.fill("#id_password", "Tra-Shan-Tuyet-2025")
    page.check("#id_consent")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Gửi đăng ký").click()
    assert navigation.value.status == 200
    assert page.locator("h1").inner_text() == "Xác minh số điện thoại"
    assert not Producer.objects.filter(name__startswith="Hộ kinh doanh Trà").exists()  # not before the code
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    page.fill("#id_code", code)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Xác minh mã").click()
    assert navigation.value.status == 200
    assert page.locator("h1").inner_text() == "Đã nhận đăng ký"
    assert "Cảm ơn Hộ kinh doanh Trà Shan Tuyết Gia Phú. Biên tập viên Xã Gia Phú sẽ duyệt" in _text(page)

    producer = Producer.objects.get(name="Hộ kinh doanh Trà Shan Tuyết Gia Phú")
    assert producer.status == Producer.Status.PENDING
    assert producer.commune.code == COMMUNE_CODE
    assert str(producer.phone) in {"+84912345678", "0912345678", "0912 345 678"}
    assert producer.privacy_consent_at is not None
    assert list(producer.users.values_list("username", flat=True)) == ["tra.shantuyet"]
