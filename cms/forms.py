from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from marketplace.accounts.usernames import username_clean
from marketplace.catalog.models import AdminUnit, Producer


class ProducerSignupForm(forms.ModelForm):
    """Public sign-up for a household, cooperative or enterprise. The commune editor approves it."""

    phone = PhoneNumberField(label=_("Số điện thoại"), region="VN",
                             error_messages={"invalid": _("Số điện thoại không đúng định dạng Việt Nam (ví dụ 0912 345 678).")})
    commune_code = forms.CharField(label=_("Mã xã/phường (5 chữ số)"), max_length=5)
    username = forms.CharField(label=_("Tên đăng nhập"), max_length=30,
                               help_text=_("Chữ cái không dấu a–z, chữ số và . _ - (ví dụ: nsx.chetanhcuong)."))
    password = forms.CharField(label=_("Mật khẩu"), widget=forms.PasswordInput)
    consent = forms.BooleanField(label=_("Tôi đồng ý với chính sách bảo vệ dữ liệu cá nhân"),
                                 error_messages={"required": _("Cần đồng ý với chính sách bảo vệ dữ liệu cá nhân để đăng ký.")})

    class Meta:
        model = Producer
        fields = ["name", "kind", "phone", "tax_code", "address"]

    def clean_commune_code(self):
        code = self.cleaned_data["commune_code"].strip()
        commune = AdminUnit.objects.filter(scheme="2025", level=AdminUnit.Level.COMMUNE, code=code).first()
        if commune is None:
            raise forms.ValidationError(_("Không tìm thấy xã/phường có mã %(code)s.") % {"code": code})
        return commune

    def clean_username(self):
        # Whether the name is taken is not said here (it would list accounts): see accounts.signup.
        return username_clean(self.cleaned_data["username"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password"):
            try:
                validate_password(cleaned["password"])
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class PhoneCodeForm(forms.Form):
    code = forms.CharField(label=_("Mã xác minh (6 chữ số)"), max_length=6, min_length=6,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
                           error_messages={"required": _("Vui lòng nhập mã xác minh."),
                                           "min_length": _("Mã xác minh gồm 6 chữ số.")})
