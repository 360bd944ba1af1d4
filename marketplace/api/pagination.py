from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from marketplace.bounds import positive_int


class ProductPagination(PageNumberPagination):
    """`page` and `page_size` must be whole numbers from 1 (400 otherwise, with a message);
    a page_size over 500 is capped, a page past the last is 404 (no such page)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        errors = {}
        for name, message in ((self.page_query_param, _("Số trang phải là số nguyên từ 1 trở lên.")),
                              (self.page_size_query_param, _("Số mục mỗi trang phải là số nguyên từ 1 trở lên."))):
            if name in request.query_params and positive_int(request.query_params[name]) is None:
                errors[name] = [message]
        if errors:
            raise ValidationError(errors)
        return super().paginate_queryset(queryset, request, view)
