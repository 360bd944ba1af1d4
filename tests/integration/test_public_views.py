import datetime as dt
import io
import re

import pytest
import segno
from django.contrib.auth import get_user_model

from marketplace.catalog.models import Batch, Producer

pytestmark = pytest.mark.django_db

GOOD = {"name": "Hộ kinh doanh Măng rừng", "kind": "household", "phone": "0912 345 678", "tax_code": "",
        "address": "Thôn 3", "commune_code": "02923", "username": "mangrung", "password": "Mang-rung-2025!", "consent": "on"}


def test_signup_creates_a_pending_producer_and_a_login(client, mailoutbox):
    assert client.post("/dang-ky-nha-san-xuat/", GOOD).status_code == 302
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)  # the phone's code (see tests/integration/accounts)
    response = client.post("/dang-ky-nha-san-xuat/xac-minh/", {"code": code})
    assert response.status_code == 200 and "Đã nhận đăng ký" in response.content.decode()
    producer = Producer.objects.get(name=GOOD["name"])
    assert producer.status == Producer.Status.PENDING and producer.privacy_consent_at
    assert str(producer.phone) == "+84912345678" and producer.commune.code == "02923"
    assert producer.users.get().check_password(GOOD["password"])


@pytest.mark.parametrize("field, value, message", [
    ("phone", "12345", "Số điện thoại không đúng định dạng Việt Nam"),
    ("commune_code", "99999", "Không tìm thấy xã/phường có mã 99999"),
    ("tax_code", "12AB", "Mã số thuế gồm 10 chữ số"),
    ("consent", "", "Cần đồng ý với chính sách bảo vệ dữ liệu cá nhân"),
    ("password", "123", "Mật khẩu"),
])
def test_signup_bad_input_shows_a_vietnamese_error_and_saves_nothing(client, field, value, message):
    data = {**GOOD, field: value}
    if not value:
        data.pop(field)
    response = client.post("/dang-ky-nha-san-xuat/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert GOOD["name"] in response.content.decode()  # what was typed is kept
    assert not Producer.objects.exists() and not get_user_model().objects.exists()


def test_traceability_page_qr_and_gs1_link(client, make_listing):
    product = make_listing(name="Chuối tiêu Gia Phú").product
    batch = Batch.objects.create(product=product, lot_code="GP-L1", produced_on=dt.date(2026, 10, 1),
                                 best_before=dt.date(2027, 1, 1), growing_area_code="VT-02923-01", gtin="8930000000012")
    page = client.get(f"/t/{batch.code}/").content.decode()
    for text in ("Chuối tiêu Gia Phú", "GP-L1", "01/10/2026", "VT-02923-01", "Xã Gia Phú", "Tỉnh Lào Cai"):
        assert text in page
    svg = client.get(f"/t/{batch.code}/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml" and svg.content.startswith(b"<svg")
    expected = io.BytesIO()
    segno.make(f"http://testserver/t/{batch.code}/", error="m").save(expected, kind="svg", scale=4, xmldecl=False)
    assert svg.content == expected.getvalue() and b'xmlns="http://www.w3.org/2000/svg"' in svg.content
    assert client.get(f"/01/0{batch.gtin}/10/GP-L1").url == f"/t/{batch.code}/"
    assert client.get("/t/khongco/").status_code == 404


def test_english_is_available(client, make_listing):
    page = make_listing(name="Mật ong")
    response = client.get("/en" + page.url)
    assert response.status_code == 200 and '<html lang="en">' in response.content.decode()
