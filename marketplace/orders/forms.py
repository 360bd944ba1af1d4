import re
import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from marketplace.bounds import MAX_ID

from .models import Checkout, PaymentMethod
from .services import MAX_LINE_QUANTITY

QUANTITY_ERRORS = {
    "required": _("Vui lòng nhập số lượng."),
    "invalid": _("Số lượng phải là một số nguyên."),
    "min_value": _("Số lượng phải từ %(limit_value)s trở lên."),
    "max_value": _("Mỗi sản phẩm đặt tối đa %(limit_value)s."),
}
SKU_ERRORS = {"required": _("Thiếu sản phẩm."), "invalid": _("Sản phẩm không hợp lệ.")}


class CartAddForm(forms.Form):
    sku = forms.IntegerField(min_value=1, max_value=MAX_ID,
                             error_messages={**SKU_ERRORS, "min_value": SKU_ERRORS["invalid"], "max_value": SKU_ERRORS["invalid"]})
    quantity = forms.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, initial=1, error_messages=QUANTITY_ERRORS)


class CartSetForm(CartAddForm):
    """On the cart page: 0 removes the line."""

    quantity = forms.IntegerField(min_value=0, max_value=MAX_LINE_QUANTITY, error_messages=QUANTITY_ERRORS)


CHECKOUT_KEY = re.compile(r"[A-Za-z0-9_-]{20,64}")  # what new_checkout_key makes, with room to change it


def new_checkout_key() -> str:
    return secrets.token_urlsafe(24)


class CheckoutForm(forms.Form):
    """The buyer's details, and a one-time key rendered with each form: posting the same form
    twice (a double click, two tabs, a retry) finds the first checkout instead of placing another."""

    buyer_name = forms.CharField(label=_("Họ và tên"), max_length=120, error_messages={"required": _("Vui lòng nhập họ tên.")})
    phone = PhoneNumberField(label=_("Số điện thoại"), region="VN", error_messages={
        "required": _("Vui lòng nhập số điện thoại."),
        "invalid": _("Số điện thoại không đúng định dạng Việt Nam (ví dụ 0912 345 678)."),
    })
    email = forms.EmailField(label=_("Email (không bắt buộc)"), required=False,
                             error_messages={"invalid": _("Địa chỉ email không hợp lệ.")})
    delivery = forms.ChoiceField(label=_("Cách nhận hàng"), choices=Checkout.Delivery.choices, initial=Checkout.Delivery.ADDRESS,
                                 widget=forms.RadioSelect)
    commune_code = forms.CharField(label=_("Mã xã/phường (5 chữ số, theo danh mục từ 1/7/2025)"), max_length=5,
                                   error_messages={"required": _("Vui lòng nhập mã xã/phường.")})
    address_line = forms.CharField(label=_("Địa chỉ (số nhà, thôn/ấp, đường)"), max_length=255, required=False)
    # The choices are the configured gateways' (transfer and COD always, card once Stripe is set):
    # see `__init__` and marketplace.payments.gateways.registry.
    payment_method = forms.ChoiceField(label=_("Cách thanh toán"), choices=[(PaymentMethod.COD, PaymentMethod.COD.label)],
                                       initial=PaymentMethod.COD, widget=forms.RadioSelect,
                                       error_messages={"invalid_choice": _("Cách thanh toán này chưa được hỗ trợ.")})
    consent = forms.BooleanField(label=_("Tôi đồng ý với chính sách bảo vệ dữ liệu cá nhân"),
                                 error_messages={"required": _("Cần đồng ý với chính sách bảo vệ dữ liệu cá nhân để đặt hàng.")})

    checkout_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Payments build on orders; the checkout only asks the gateway registry what is on offer.
        from marketplace.payments.gateways import available_methods

        self.fields["payment_method"].choices = available_methods()
        self.fields["checkout_key"].initial = new_checkout_key()  # one per render
        self.stale_key = self.is_bound and not CHECKOUT_KEY.fullmatch(str(self.data.get("checkout_key", "")))
        if self.stale_key:
            # No key (an old or altered page): nothing is placed; the form comes back with a fresh one.
            self.data = self.data.copy()
            self.data["checkout_key"] = self.fields["checkout_key"].initial

    def clean(self):
        if self.stale_key:
            raise ValidationError(_("Trang đặt hàng đã cũ. Vui lòng kiểm tra lại thông tin và bấm “Đặt hàng” lần nữa."))
        return super().clean()

    @property
    def posted_key(self) -> str:
        """The posted form's valid key, or "" (a page without one)."""
        return "" if not self.is_bound or self.stale_key else str(self.data["checkout_key"])
