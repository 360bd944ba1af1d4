from django import forms
from django.utils.translation import gettext_lazy as _


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Email nhận nhắc lịch"), max_length=254, error_messages={
        "required": _("Vui lòng nhập email."), "invalid": _("Địa chỉ email không hợp lệ, ví dụ đúng: ten@example.vn.")})
    scope = forms.ChoiceField(label=_("Nhắc cho"), initial="session", widget=forms.RadioSelect, choices=[
        ("session", _("Mọi buổi của phiên live này")), ("occurrence", _("Chỉ buổi này"))])
