import django_filters
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone
from rest_framework import generics

from marketplace.catalog.models import OcopCertificate, Sku

from .serializers import ProductSkuSerializer


def published_skus():
    return (
        Sku.objects.filter(is_active=True, product__is_published=True)
        .select_related("product__producer__commune__parent", "product__category", "stock")
        .prefetch_related(Prefetch("product__certificates", queryset=OcopCertificate.objects.order_by("-stars")))
        .order_by("product__name", "product_id", "position", "pk")
    )


class ProductFilter(django_filters.FilterSet):
    province = django_filters.CharFilter(field_name="product__producer__commune__parent__code", label="Mã tỉnh (2025)")
    commune = django_filters.CharFilter(field_name="product__producer__commune__code", label="Mã xã (2025)")
    category = django_filters.CharFilter(field_name="product__category__slug", label="Mã ngành hàng")
    stars = django_filters.NumberFilter(method="filter_stars", label="Hạng sao tối thiểu", min_value=3, max_value=5)

    def filter_stars(self, queryset, name, value):
        valid = OcopCertificate.objects.filter(
            product_id=OuterRef("product_id"), stars__gte=value, is_expired=False
        ).exclude(expires_on__lt=timezone.localdate())
        return queryset.filter(Exists(valid))


class ProductList(generics.ListAPIView):
    """Published SKUs, paginated (`page`, `page_size` ≤ 500), filtered by province, commune,
    category and stars (at least)."""

    serializer_class = ProductSkuSerializer
    filterset_class = ProductFilter
    queryset = published_skus()


class ProductDetail(generics.RetrieveAPIView):
    serializer_class = ProductSkuSerializer
    queryset = published_skus()
    lookup_field = "code"
    lookup_url_kwarg = "sku"
