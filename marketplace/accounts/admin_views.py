"""Operators see locked logins and unlock them (/admin/ocop/logins/)."""
from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from marketplace.access import is_operator

from .lockouts import ADDRESS, USERNAME, lockout_release, lockouts_active


class UnlockForm(forms.Form):
    kind = forms.ChoiceField(choices=[(USERNAME, USERNAME), (ADDRESS, ADDRESS)])
    value = forms.CharField(max_length=255)


class LockoutsView(WagtailAdminTemplateMixin, FormView):
    template_name = "accounts/admin/lockouts.html"
    form_class = UnlockForm
    page_title = gettext_lazy("Đăng nhập bị khoá")
    header_icon = "lock"

    def dispatch(self, request, *args, **kwargs):
        if not is_operator(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(lockouts=lockouts_active(), USERNAME=USERNAME, **kwargs)

    def form_valid(self, form):
        lockout_release(kind=form.cleaned_data["kind"], value=form.cleaned_data["value"])
        messages.success(self.request, _("Đã mở khoá “%(value)s”.") % {"value": form.cleaned_data["value"]})
        return redirect(reverse("ocop_login_lockouts"))

    def form_invalid(self, form):
        return redirect(reverse("ocop_login_lockouts"))
