"""The admin modal that chooses a product for an article's product card: published products of
the editor's communes (every product for operators), searchable by product or producer name. The
"chosen" URLs answer only for those products too."""
from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.chooser import ChooseResultsView, ChooseView, ChosenMultipleView, ChosenView
from wagtail.admin.viewsets.chooser import ChooserViewSet

from marketplace import access
from marketplace.catalog.models import Product


def choosable_products(user) -> QuerySet[Product]:
    """Published products of approved producers an editor may put on a card: those of their
    communes (all for operators)."""
    return access.products_for(user, as_producer=False).select_related("producer__commune")


class ProductFilterForm(BaseFilterForm):
    q = forms.CharField(label=_("Tìm sản phẩm"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Tên sản phẩm hoặc nhà sản xuất")}))

    def filter(self, objects):
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            self.is_searching, self.search_query = True, query
            objects = objects.filter(Q(name__icontains=query) | Q(producer__name__icontains=query))
        return objects


class _ProductChooseMixin:
    filter_form_class = ProductFilterForm
    ordering = ["name", "pk"]

    def get_object_list(self):
        return choosable_products(self.request.user)

    @property
    def columns(self):
        return [
            self.title_column,
            Column("producer", label=_("Nhà sản xuất"), accessor="producer.name"),
            Column("commune", label=_("Xã/phường"), accessor="producer.commune.name"),
        ]


class ProductChooseView(_ProductChooseMixin, ChooseView):
    pass


class ProductChooseResultsView(_ProductChooseMixin, ChooseResultsView):
    pass


class ProductChosenView(ChosenView):
    def get_object(self, pk):
        return choosable_products(self.request.user).get(pk=pk)


class ProductChosenMultipleView(ChosenMultipleView):
    def get_objects(self, pks):
        return choosable_products(self.request.user).filter(pk__in=pks)


class ProductChooserViewSet(ChooserViewSet):
    model = Product
    icon = "tag"
    choose_one_text = _("Chọn sản phẩm")
    choose_another_text = _("Chọn sản phẩm khác")
    edit_item_text = _("Sửa")
    choose_view_class = ProductChooseView
    choose_results_view_class = ProductChooseResultsView
    chosen_view_class = ProductChosenView
    chosen_multiple_view_class = ProductChosenMultipleView
    # Certificate and batch forms keep their own product field: do not take over every FK to Product.
    register_widget = False


product_chooser_viewset = ProductChooserViewSet("ocop_product_chooser", url_prefix="ocop/product-chooser")
