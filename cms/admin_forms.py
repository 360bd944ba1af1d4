"""Admin forms for the OCOP snippets: choices limited to the user's products, and the certificate
save that goes through the catalogue service."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.log_actions import log

from marketplace.catalog import services as catalog
from marketplace.catalog.models import OcopCertificate, Product

from .permissions import OcopScopePermissionPolicy, batch_policy, certificate_policy

STARS_WIDGET = forms.Select(choices=[(3, _("3 sao")), (4, _("4 sao")), (5, _("5 sao"))])


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Product) -> str:
        return f"{obj.name} — {obj.producer.name}"


class ScopedProductFormMixin:
    """Offer only the products on which the user may `add`/`change` rows under `policy`."""

    policy: OcopScopePermissionPolicy

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("product")
        if field is None:
            return
        scope = self.policy.scope_q(self.for_user, ["add", "change"], producer_path="producer") if self.for_user else None
        products = Product.objects.none() if scope is None else Product.objects.filter(scope)
        self.fields["product"] = ProductChoiceField(
            queryset=products.select_related("producer").order_by("producer__name", "name"),
            label=_("Sản phẩm"), help_text=field.help_text, required=field.required, widget=forms.Select,
        )


class CertificateForm(ScopedProductFormMixin, WagtailAdminModelForm):
    policy = certificate_policy


class BatchForm(ScopedProductFormMixin, WagtailAdminModelForm):
    policy = batch_policy


def certificate_save(form, *, user, created: bool) -> OcopCertificate:
    """Save through `catalog.certificate_save` (expiry, completeness, catalogue signal) and log it."""
    certificate = catalog.certificate_save(certificate=form.save(commit=False))
    log(instance=certificate, action="wagtail.create" if created else "wagtail.edit", user=user, content_changed=True)
    return certificate
