"""Bank transfer by VietQR: the EMVCo merchant-presented payload for NAPAS 247, its parser, the
QR image, and the transfer gateway (money arrives by reconciliation, refunds are manual).

Payload: TLV fields `ID(2) LEN(2) VALUE`; 38 is the NAPAS account (GUID A000000727, bank BIN,
account number, service QRIBFTTA "to account"); 53 currency 704 (VND); 54 amount in đồng;
58 country VN; 62/08 the purpose (our checkout reference, which reconciliation looks for);
63 the CRC16-CCITT-FALSE of everything before it, "6304" included, in 4 upper-case hex digits.
"""
from __future__ import annotations

import dataclasses
import io

import segno
from django.conf import settings

from marketplace.orders.models import PaymentMethod

from .base import ManualGateway

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
SERVICE_TO_CARD = "QRIBFTTC"


class PayloadError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class VietQr:
    bank_bin: str
    account: str
    amount_vnd: int | None = None
    purpose: str = ""
    service: str = SERVICE_TO_ACCOUNT
    bill_number: str = ""


def crc16_ccitt(data: bytes) -> int:
    """CRC16-CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection): the EMVCo QR checksum."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def _tlv(tag: str, value: str) -> str:
    if not value or len(value) > 99:
        raise PayloadError(f"field {tag}: length {len(value)} outside 1..99")
    return f"{tag}{len(value):02d}{value}"


def payload_build(qr: VietQr) -> str:
    """The payload string to put in the QR code (dynamic when it carries an amount)."""
    if not (qr.bank_bin.isdigit() and len(qr.bank_bin) == 6):
        raise PayloadError("bank BIN must be 6 digits")
    if qr.purpose and not qr.purpose.isascii():
        raise PayloadError("purpose must be ASCII")  # banking apps mangle anything else
    account = _tlv("00", NAPAS_GUID) + _tlv("01", _tlv("00", qr.bank_bin) + _tlv("01", qr.account)) + _tlv("02", qr.service)
    additional = (_tlv("01", qr.bill_number) if qr.bill_number else "") + (_tlv("08", qr.purpose) if qr.purpose else "")
    body = (
        _tlv("00", "01") + _tlv("01", "12" if qr.amount_vnd else "11") + _tlv("38", account) + _tlv("53", "704")
        + (_tlv("54", str(qr.amount_vnd)) if qr.amount_vnd else "") + _tlv("58", "VN")
        + (_tlv("62", additional) if additional else "") + "6304"
    )
    return body + f"{crc16_ccitt(body.encode('utf-8')):04X}"


def _fields(text: str) -> dict[str, str]:
    fields, index = {}, 0
    while index < len(text):
        tag, length = text[index:index + 2], text[index + 2:index + 4]
        if len(tag) < 2 or not length.isdigit() or index + 4 + int(length) > len(text):
            raise PayloadError(f"malformed field at {index}")
        fields[tag] = text[index + 4:index + 4 + int(length)]
        index += 4 + int(length)
    return fields


def payload_parse(payload: str) -> VietQr:
    """Read a NAPAS 247 payload back, checking its CRC and its fixed fields."""
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise PayloadError("no CRC field at the end")
    if f"{crc16_ccitt(payload[:-4].encode('utf-8')):04X}" != payload[-4:].upper():
        raise PayloadError("CRC mismatch")
    fields = _fields(payload[:-8])
    if fields.get("00") != "01" or fields.get("53") != "704" or fields.get("58") != "VN":
        raise PayloadError("not a VND payload for Vietnam")
    account = _fields(fields.get("38", ""))
    if account.get("00") != NAPAS_GUID:
        raise PayloadError("not a NAPAS 247 account")
    beneficiary = _fields(account.get("01", ""))
    additional = _fields(fields.get("62", ""))
    amount = fields.get("54")
    return VietQr(bank_bin=beneficiary.get("00", ""), account=beneficiary.get("01", ""),
                  amount_vnd=int(amount) if amount else None, purpose=additional.get("08", ""),
                  service=account.get("02", ""), bill_number=additional.get("01", ""))


def qr_svg(payload: str) -> str:
    """The QR code as an inline SVG (error correction M, as banking apps expect)."""
    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="svg", scale=6, border=4, xmldecl=False, svgns=True)
    return buffer.getvalue().decode("utf-8")


def transfer_payload(*, amount_vnd: int, reference: str) -> str:
    """The payload for paying `amount_vnd` to the operator's account with our reference."""
    return payload_build(VietQr(bank_bin=settings.VIETQR_BANK_BIN, account=settings.VIETQR_ACCOUNT_NUMBER,
                                amount_vnd=amount_vnd, purpose=reference))


class TransferGateway(ManualGateway):
    """Bank transfer: the buyer scans the VietQR code; reconciliation records the money."""

    method = PaymentMethod.TRANSFER

    def missing_settings(self) -> list[str]:
        """Off until the operator's account is set: there is no default account to pay into."""
        bank_bin = settings.VIETQR_BANK_BIN.strip()
        missing = [] if bank_bin.isdigit() and len(bank_bin) == 6 else ["VIETQR_BANK_BIN"]
        return missing + [name for name in ("VIETQR_ACCOUNT_NUMBER", "VIETQR_ACCOUNT_NAME") if not getattr(settings, name).strip()]
