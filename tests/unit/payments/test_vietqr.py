"""VietQR payloads: CRC16-CCITT-FALSE, published examples, build/parse round trip; amounts in words."""
import pytest

from marketplace.payments.gateways.vietqr import PayloadError, VietQr, crc16_ccitt, payload_build, payload_parse
from marketplace.payments.words import number_in_words, reference_in_words, vnd_in_words

# The worked example in NAPAS' VietQR specification (transfer to card 9704031101234567 at BIN
# 970403, 180 000 đ, bill NPS6869, purpose "thanh toan don hang"), with its printed CRC A203.
NAPAS_EXAMPLE = ("00020101021238600010A00000072701300006970403011697040311012345670208QRIBFTTC5303704540618000"
                 "05802VN62340107NPS68690819thanh toan don hang6304A203")
# A payload issued by a payment gateway (payOS) for an account transfer, as published with its CRC.
GATEWAY_EXAMPLE = "00020101021238570010A000000727012700069704220113VQRQADAIJ55120208QRIBFTTA5303704540470005802VN62120808TL89 1006304E346"


def test_crc16_ccitt_false_check_value():
    assert crc16_ccitt(b"123456789") == 0x29B1  # the catalogue check value of CRC-16/CCITT-FALSE


@pytest.mark.parametrize("payload", [NAPAS_EXAMPLE, GATEWAY_EXAMPLE])
def test_published_examples_parse_and_rebuild_exactly(payload):
    assert payload_build(payload_parse(payload)) == payload


def test_napas_example_fields():
    qr = payload_parse(NAPAS_EXAMPLE)
    assert qr == VietQr(bank_bin="970403", account="9704031101234567", amount_vnd=180000, purpose="thanh toan don hang",
                        service="QRIBFTTC", bill_number="NPS6869")


def test_round_trip_of_our_payload():
    qr = VietQr(bank_bin="970436", account="0011000000000", amount_vnd=1943000, purpose="OCOPAB23CD45")
    payload = payload_build(qr)
    assert payload.startswith("000201010212") and "5303704" in payload and "5802VN" in payload and "0812OCOPAB23CD45" in payload
    assert payload_parse(payload) == qr


@pytest.mark.parametrize("mangle", [lambda p: p[:-1] + ("0" if p[-1] != "0" else "1"), lambda p: p.replace("194", "195"), lambda p: p[:-8]])
def test_corrupted_payloads_are_refused(mangle):
    payload = payload_build(VietQr(bank_bin="970436", account="0011000000000", amount_vnd=1943000, purpose="OCOPAB23CD45"))
    with pytest.raises(PayloadError):
        payload_parse(mangle(payload))


def test_build_refuses_bad_input():
    with pytest.raises(PayloadError):
        payload_build(VietQr(bank_bin="97043", account="1", amount_vnd=1))
    with pytest.raises(PayloadError):
        payload_build(VietQr(bank_bin="970436", account="1", amount_vnd=1, purpose="đơn hàng"))


@pytest.mark.parametrize("n, words", [
    (0, "không"), (5, "năm"), (10, "mười"), (15, "mười lăm"), (21, "hai mươi mốt"), (24, "hai mươi tư"), (55, "năm mươi lăm"),
    (105, "một trăm linh năm"), (1005, "một nghìn không trăm linh năm"), (150000, "một trăm năm mươi nghìn"),
    (1943000, "một triệu chín trăm bốn mươi ba nghìn"), (1000000000, "một tỷ"),
    (2500000000, "hai tỷ năm trăm triệu"),
])
def test_numbers_in_words(n, words):
    assert number_in_words(n) == words


def test_amount_and_reference_in_words():
    assert vnd_in_words(135000) == "Một trăm ba mươi lăm nghìn đồng"
    assert reference_in_words("OCOPAB23CD45") == "OCOP — A B hai ba C D bốn năm"
