"""The operator's reconciliation queue and statement upload in the Wagtail admin."""
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.payments.models import BankTransaction

from .conftest import bank_signature

pytestmark = pytest.mark.django_db


def test_queue_lists_and_decides(client, operator, bank_on, place):
    checkout = place("transfer")
    body = json.dumps({"date": "2025-09-01", "amount_vnd": 1000, "description": "lạ", "transaction_id": "FT9"}).encode()
    client.post("/webhooks/bank-transfer/", body, content_type="application/json", HTTP_X_SIGNATURE=bank_signature(body))
    page = client.get("/admin/payments/reconciliation/")
    assert page.status_code == 200 and "FT9" in page.content.decode()
    record = BankTransaction.objects.get()
    client.post("/admin/payments/reconciliation/", {"transaction": record.pk, "decision": "dismiss", "note": "Phí ngân hàng"})
    record.refresh_from_db()
    assert record.status == "dismissed" and record.decided_by == operator
    assert checkout.orders.filter(payment_status="unpaid").count() == 2


def test_statement_upload_all_or_nothing(client, operator, place):
    checkout = place("transfer")
    bad = SimpleUploadedFile("s.csv", f"date,amount_vnd,description,transaction_id\n2025-09-01,225000,{checkout.reference},A\n2025-09-01,x,y,B\n".encode())
    response = client.post("/admin/payments/statement/", {"file": bad})
    assert response.status_code == 400 and "line 3, amount_vnd" in response.content.decode() and not BankTransaction.objects.exists()
    good = SimpleUploadedFile("s.csv", f"date,amount_vnd,description,transaction_id\n2025-09-01,225000,{checkout.reference},A\n".encode())
    assert client.post("/admin/payments/statement/", {"file": good}).status_code == 302
    assert set(checkout.orders.values_list("payment_status", flat=True)) == {"paid"}


def test_queue_is_for_operators_only(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="buyer", password="x"))
    assert client.get("/admin/payments/reconciliation/").status_code in (302, 403)
