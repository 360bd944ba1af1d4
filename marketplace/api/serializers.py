from django.conf import settings
from rest_framework import serializers

from marketplace.catalog.models import Sku


class ProductSkuSerializer(serializers.ModelSerializer):
    """One sellable SKU with its product's facts."""

    sku = serializers.CharField(source="code")
    name = serializers.CharField(source="product.name")
    product_id = serializers.IntegerField(source="product.pk")
    stock = serializers.SerializerMethodField()
    ocop_stars = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()
    producer = serializers.CharField(source="product.producer.name")
    commune_code = serializers.CharField(source="product.producer.commune.code")
    province_code = serializers.CharField(source="product.producer.commune.parent.code")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Sku
        fields = ["sku", "name", "product_id", "unit", "price_vnd", "weight_gram", "stock", "ocop_stars",
                  "category", "producer", "commune_code", "province_code", "url"]

    def get_stock(self, sku: Sku) -> int:
        stock = getattr(sku, "stock", None)
        return stock.available if stock else 0

    def get_ocop_stars(self, sku: Sku) -> int | None:
        certificate = sku.product.current_certificate()
        return certificate.stars if certificate else None

    def get_category(self, sku: Sku) -> str | None:
        return sku.product.category.slug if sku.product.category_id else None

    def get_url(self, sku: Sku) -> str:
        return settings.SITE_BASE_URL.rstrip("/") + (sku.product.url_path or "")
