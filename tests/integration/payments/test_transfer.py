"""Bank transfer: the VietQR page, reconciliation from statements and from signed bank
notifications (exact, under, over, unmatched, duplicates, bad signatures, bad rows), the
operator's decisions, and the end-to-end path through the pages."""
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from marketplace.orders.models import Checkout, Order
from marketplace.payments import selectors, services
from marketplace.payments.gateways.vietqr import payload_parse
from marketplace.payments.models import BankTransaction, Payment
from tests import factories
from tests.factories import checkout_form

from .conftest import bank_signature

pytestmark = pytest.mark.django_db
URL = "/webhooks/bank-transfer/"
FORM = {**factories.CHECKOUT_FORM, "payment_method": "transfer"}


def notify(client, fields: dict, signature: str | None = None):
    body = json.dumps(fields).encode()
    return client.post(URL, body, content_type="application/json", HTTP_X_SIGNATURE=signature or bank_signature(body))


def statuses(checkout) -> list[str]:
    return list(Order.objects.filter(checkout=checkout).values_list("payment_status", flat=True))


def credit(checkout, amount, tx="FT001", description=None):
    return {"date": "2025-09-01", "amount_vnd": amount, "transaction_id": tx,
            "description": description if description is not None else f"CK {checkout.reference[:4]} {checkout.reference[4:]} thanh toan"}


def test_transfer_end_to_end_through_the_pages(client, bank_on, sku):
    client.post("/gio-hang/them/", {"sku": sku.pk, "quantity": 1})
    response = client.post("/thanh-toan/", checkout_form(FORM))
    checkout = Checkout.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "Một trăm ba mươi lăm nghìn đồng" in page and checkout.reference in page  # 120 000 + 15 000 fee
    svg = client.get(reverse("payments:qr", args=[checkout.access_token]))
    assert svg["Content-Type"] == "image/svg+xml" and svg.content.startswith(b"<svg")
    response = notify(client, credit(checkout, 135000))
    assert response.status_code == 200 and response.json()["status"] == "applied"
    assert statuses(checkout) == ["paid"]
    assert "Đã thanh toán" in client.get(reverse("orders:order", args=[checkout.access_token])).content.decode()


def test_the_qr_payload_carries_amount_reference_and_account(settings, place):
    checkout = place("transfer")
    data = payload_parse(selectors.transfer_instructions(payment=services.payment_for_checkout(checkout=checkout))["payload"])
    assert (data.bank_bin, data.account, data.amount_vnd, data.purpose) == (
        settings.VIETQR_BANK_BIN, settings.VIETQR_ACCOUNT_NUMBER, checkout.total_vnd, checkout.reference)


def test_under_then_remainder_pays(client, bank_on, place):
    checkout = place("transfer")  # 225 000
    assert notify(client, credit(checkout, 200000, "FT1")).json()["status"] == "underpaid"
    assert statuses(checkout) == ["unpaid", "unpaid"]
    record = BankTransaction.objects.get(transaction_id="FT1")
    services.bank_transaction_decide(bank_transaction=record, decision="apply", note="Khách báo chuyển thiếu")
    assert Payment.objects.get().received_vnd == 200000 and statuses(checkout) == ["unpaid", "unpaid"]
    assert notify(client, credit(checkout, 25000, "FT2")).json()["status"] == "applied"
    assert statuses(checkout) == ["paid", "paid"]


def test_over_and_unmatched_wait_for_the_operator(client, bank_on, place):
    checkout = place("transfer")
    assert notify(client, credit(checkout, 300000, "FT3")).json()["status"] == "overpaid"
    assert notify(client, credit(checkout, 225000, "FT4", description="chuyen tien an trua")).json()["status"] == "unmatched"
    assert statuses(checkout) == ["unpaid", "unpaid"]
    assert {t.transaction_id for t in selectors.bank_transactions_needing_decision()} == {"FT3", "FT4"}
    over, lost = BankTransaction.objects.get(transaction_id="FT3"), BankTransaction.objects.get(transaction_id="FT4")
    with pytest.raises(services.ReconciliationError):
        services.bank_transaction_decide(bank_transaction=lost, decision="dismiss")  # a note is required
    services.bank_transaction_decide(bank_transaction=lost, decision="apply", reference=checkout.reference.lower())
    assert statuses(checkout) == ["paid", "paid"]
    services.bank_transaction_decide(bank_transaction=over, decision="return", note="Đã chuyển trả 300.000 đ")
    over.refresh_from_db()
    assert over.status == "returned" and over.decision_note
    with pytest.raises(services.ReconciliationError):
        services.bank_transaction_decide(bank_transaction=over, decision="dismiss", note="again")


def test_duplicate_transaction_id_is_applied_once(client, bank_on, place):
    checkout = place("transfer")
    first, second = notify(client, credit(checkout, 225000, "FT5")), notify(client, credit(checkout, 225000, "FT5"))
    assert first.json()["duplicate"] is False and second.json() == {**first.json(), "duplicate": True}
    assert Payment.objects.get().received_vnd == 225000 and BankTransaction.objects.count() == 1


@pytest.mark.parametrize("signature", ["sha256=" + "0" * 64, "", "garbage"])
def test_bad_signature_is_refused(client, bank_on, place, signature):
    checkout = place("transfer")
    body = json.dumps(credit(checkout, 225000)).encode()
    response = client.post(URL, body, content_type="application/json", HTTP_X_SIGNATURE=signature)
    assert response.status_code == 400 and not BankTransaction.objects.exists() and statuses(checkout) == ["unpaid", "unpaid"]
    assert notify(client, credit(checkout, 225000), bank_signature(body, secret="wrong")).status_code == 400


def test_bad_fields_and_unconfigured_webhook(client, settings, bank_on, place):
    checkout = place("transfer")
    response = notify(client, {**credit(checkout, "mười nghìn"), "date": "hôm qua", "transaction_id": ""})
    assert response.status_code == 400 and set(response.json()["fields"]) == {"amount_vnd", "date", "transaction_id"}
    settings.BANK_TRANSFER_WEBHOOK_SECRET = ""
    assert notify(client, credit(checkout, 225000)).status_code == 503


def test_statement_import_with_mapping(tmp_path, place, capsys):
    checkout = place("transfer")
    other = place("transfer")
    path = tmp_path / "sao-ke.csv"
    path.write_text("\ufeffNgày,Số tiền,Nội dung,Mã GD\n"
                    f"01/09/2025,225.000,CK {checkout.reference},FT10\n"
                    f"01/09/2025,\"100,000\",CK {other.reference},FT11\n"
                    "02/09/2025,50000,tien nha,FT12\n", encoding="utf-8")
    mapping = "date=Ngày,amount_vnd=Số tiền,description=Nội dung,transaction_id=Mã GD"
    call_command("import_bank_statement", str(path), mapping=mapping)
    assert "applied: 1" in capsys.readouterr().out
    assert statuses(checkout) == ["paid", "paid"] and statuses(other) == ["unpaid", "unpaid"]
    assert dict(BankTransaction.objects.values_list("transaction_id", "status")) == {"FT10": "applied", "FT11": "underpaid", "FT12": "unmatched"}
    call_command("import_bank_statement", str(path), mapping=mapping)  # overlapping statement: nothing twice
    assert "already: 3" in capsys.readouterr().out and BankTransaction.objects.count() == 3


def test_statement_with_bad_rows_imports_nothing(tmp_path, place, capsys):
    checkout = place("transfer")
    path = tmp_path / "bad.csv"
    path.write_text("date,amount_vnd,description,transaction_id\n"
                    f"2025-09-01,225000,{checkout.reference},FT20\n"
                    "2025-13-01,abc,x,FT21\n"
                    "2025-09-02,-5,x,FT20\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_bank_statement", str(path))
    errors = capsys.readouterr().err
    assert "line 3, date:" in errors and "line 3, amount_vnd:" in errors
    assert "line 4, amount_vnd: số tiền phải là số nguyên đồng" in errors
    assert not BankTransaction.objects.exists() and statuses(checkout) == ["unpaid", "unpaid"]
    missing = tmp_path / "missing.csv"
    missing.write_text("date,amount,description\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_bank_statement", str(missing))
    assert "line 1, amount_vnd: thiếu cột" in capsys.readouterr().err


def test_money_for_expired_orders_is_not_applied(client, bank_on, place):
    checkout = place("transfer")
    from marketplace.orders import services as orders

    for order in checkout.orders.all():
        orders.order_transition(order=order, field="fulfilment", to="cancelled", note="Hết thời gian giữ hàng")
    assert notify(client, credit(checkout, 225000, "FT30")).json()["status"] == "unmatched"
    assert statuses(checkout) == ["unpaid", "unpaid"]
