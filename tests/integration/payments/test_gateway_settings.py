"""No demo bank account in production: bank transfer is off until the operator's own account is
set, and says so (the admin's payment settings page, the checkout, the payment page)."""
import json

import pytest

from tests import factories
from tests.factories import checkout_form
from tests.unit.test_settings import _manage

pytestmark = pytest.mark.django_db

STATE = ("from marketplace.payments.gateways import gateways_state; import json; "
         "print(json.dumps({g.method: list(g.missing) for g in gateways_state()}))")
PRODUCTION = {"SECRET_KEY": "k3y-" + "a1b2c3d4e5" * 6, "ALLOWED_HOSTS": "ocop.example.vn"}
NO_ACCOUNT = {"VIETQR_BANK_BIN": "", "VIETQR_ACCOUNT_NUMBER": "", "VIETQR_ACCOUNT_NAME": ""}
FORM = {**factories.CHECKOUT_FORM, "payment_method": "transfer"}


def gateway_state(tmp_path, **env) -> dict:
    result = _manage("shell", "-c", STATE, VAR_DIR=str(tmp_path), **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_has_no_bank_account_by_default(tmp_path):
    state = gateway_state(tmp_path, **PRODUCTION, **NO_ACCOUNT)
    assert state["transfer"] == ["VIETQR_BANK_BIN", "VIETQR_ACCOUNT_NUMBER", "VIETQR_ACCOUNT_NAME"]
    assert state["cod"] == []
    own = {"VIETQR_BANK_BIN": "970415", "VIETQR_ACCOUNT_NUMBER": "113366668888", "VIETQR_ACCOUNT_NAME": "HTX CHO OCOP"}
    assert gateway_state(tmp_path, **PRODUCTION, **own)["transfer"] == []


def test_dev_settings_keep_the_demo_account(tmp_path):
    assert gateway_state(tmp_path, DJANGO_SETTINGS_MODULE="marketplace.settings.dev")["transfer"] == []


@pytest.fixture
def account_unset(settings):
    settings.VIETQR_BANK_BIN = settings.VIETQR_ACCOUNT_NUMBER = settings.VIETQR_ACCOUNT_NAME = ""


def test_checkout_without_an_account_offers_no_transfer_and_says_so(client, make_listing, account_unset):
    sku = make_listing(price_vnd=120000, stock=5).product.skus.get()
    client.post("/gio-hang/them/", {"sku": sku.pk, "quantity": "1"})
    html = client.get("/thanh-toan/").content.decode()
    assert 'value="transfer"' not in html and 'value="cod"' in html
    assert "Tạm chưa nhận" in html and "Chuyển khoản ngân hàng (VietQR)" in html
    refused = client.post("/thanh-toan/", checkout_form(FORM))
    assert refused.status_code == 400 and "Cách thanh toán này chưa được hỗ trợ" in refused.content.decode()


def test_admin_settings_page_lists_each_gateway(client, django_user_model, account_unset, settings):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_PUBLISHABLE_KEY = ""
    client.force_login(django_user_model.objects.create_superuser(username="op", password="x", email="op@example.vn"))
    assert "/admin/payments/gateways/" in client.get("/admin/").content.decode()  # in the admin's settings menu
    html = client.get("/admin/payments/gateways/").content.decode()
    rows = {method: html.split(f'data-method="{method}"')[1].split("</tr>")[0] for method in ("card", "transfer", "cod")}
    assert "Đang tắt" in rows["transfer"] and "VIETQR_BANK_BIN" in rows["transfer"] and "VIETQR_ACCOUNT_NUMBER" in rows["transfer"]
    assert "Đang tắt" in rows["card"] and "STRIPE_SECRET_KEY" in rows["card"]
    assert "Đang bật" in rows["cod"]


def test_admin_settings_page_is_for_operators(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="nsx", password="x", is_staff=True))
    assert client.get("/admin/payments/gateways/").status_code in (302, 403)


def test_a_transfer_checkout_after_the_account_was_unset_shows_a_message(client, place, settings):
    checkout = place("transfer")
    settings.VIETQR_BANK_BIN = ""
    page = client.get(f"/thanh-toan/{checkout.access_token}/")
    assert page.status_code == 200 and "chưa được cấu hình" in page.content.decode()
    assert client.get(f"/thanh-toan/{checkout.access_token}/qr.svg").status_code == 404
    assert client.get(f"/don-hang/{checkout.access_token}/").status_code == 200
