"""Pure field mapping and parsing: limits in NFC code points, rounding, money and dates."""
from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from connectors.exceptions import FinalError
from connectors.platforms import common, nghean37, postmart, voso
from tests.unit.connectors.conftest import content


def test_truncate_name_counts_nfc_code_points_and_cuts_at_a_word():
    decomposed = unicodedata.normalize("NFD", "Mật ong hoa nhãn")  # 'ậ' is 3 code points in NFD
    assert common.truncate_name(decomposed, 16) == "Mật ong hoa nhãn"
    assert common.truncate_name("Trà shan tuyết cổ thụ Suối Giàng loại đặc biệt", 30) == "Trà shan tuyết cổ thụ Suối…"
    assert len(common.truncate_name("x" * 400, 150)) == 150


def test_emoji_and_html_are_removed_where_platforms_refuse_them():
    assert common.strip_emoji("Chuối sấy 🍌🍌 ngon ⭐️ 40°") == "Chuối sấy ngon 40°"
    assert common.html_to_text("<p>Mật ong &amp; sữa</p><p>Dòng 2<br>Dòng 3</p>") == "Mật ong & sữa\n\nDòng 2\nDòng 3"
    assert common.text_to_html("a < b\n\nc\nd") == "<p>a &lt; b</p><p>c<br>d</p>"


def test_postmart_body_limits():
    body = postmart.product_body(content(name="Tên " * 60, images=tuple(f"https://x.vn/{i}.jpg" for i in range(12)),
                                         ocop_stars=None), category_id=15)
    assert len(body["name"]) <= 150 and body["name"].endswith("…")
    assert len(body["images"]) == 9
    assert body["ocop_stars"] is None
    assert body["origin"] == {"province_code": "15", "commune_code": "02923"}
    assert body["description_html"].startswith("<p>Chuối tiêu")


@pytest.mark.parametrize(("price", "rounded"), [(45_000, 45_000), (45_049, 45_000), (45_050, 45_100), (30, 100)])
def test_voso_price_is_rounded_to_100(price, rounded):
    assert voso.round_price(price) == rounded
    assert voso.item_body(content(price_vnd=price), cat_code="KHAC")["price"] == rounded


def test_voso_body_limits():
    body = voso.item_body(content(name="Mật ong 🐝 " * 30, description="<b>Đậm</b> " + "x" * 6000,
                                  images=tuple(f"https://x.vn/{i}.jpg" for i in range(8)), ocop_stars=None),
                          cat_code="KHAC")
    assert len(body["title"]) <= 120 and "🐝" not in body["title"]
    assert len(body["description"]) <= 5000 and "<b>" not in body["description"]
    assert len(body["images"]) == 5
    assert body["ocop_star"] == 0


def test_voso_needs_a_weight():
    with pytest.raises(FinalError) as caught:
        voso.item_body(content(weight_gram=None), cat_code="KHAC")
    assert caught.value.field == "weight_gram"


def test_voso_signature_is_over_the_sorted_fields():
    fields = {"timestamp": "1700000000", "shop_id": "1", "data": '{"a":"ư"}', "app_key": "k"}
    import hashlib
    import hmac
    expected = hmac.new(b"s", 'app_key=k&data={"a":"ư"}&shop_id=1&timestamp=1700000000'.encode(),
                        hashlib.sha256).hexdigest()
    assert voso.sign("s", fields) == expected


@pytest.mark.parametrize(("text", "value"), [("120.000", 120_000), ("1.250.000", 1_250_000), ("950", 950),
                                             ("120000", 120_000), (" 45.500 đ", 45_500), (7, 7)])
def test_nghean37_money(text, value):
    assert nghean37.parse_money(text) == value


@pytest.mark.parametrize("text", ["12,5", "1.20.000", "", None, True, "abc", "120.000,00"])
def test_nghean37_bad_money(text):
    with pytest.raises(ValueError):
        nghean37.parse_money(text)


def test_nghean37_dates_are_vietnam_time():
    parsed = nghean37.parse_date("05/03/2025 08:30")
    assert parsed.utcoffset() == dt.timedelta(hours=7)
    assert parsed.astimezone(dt.timezone.utc) == dt.datetime(2025, 3, 5, 1, 30, tzinfo=dt.timezone.utc)
    assert nghean37.format_day(dt.datetime(2025, 3, 4, 18, 0, tzinfo=dt.timezone.utc)) == "05/03/2025"
    with pytest.raises(ValueError):
        nghean37.parse_date("2025-03-05T08:30:00+07:00")


def test_nghean37_body():
    body = nghean37.product_body(content(name="Nước mắm " * 40, ocop_stars=None))
    assert len(body["ten_san_pham"]) <= 200
    assert body["ma_xa"] == "02923" and body["hang_sao_ocop"] == 0 and body["gia"] == 45_000
