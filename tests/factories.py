"""Test data built through the real services (pages are published, the catalogue filled)."""
import itertools

import factory
from django.contrib.auth import get_user_model

from cms import services
from marketplace.catalog import services as catalog
from marketplace.catalog.models import AdminUnit, Category, OcopCertificate, Producer

_seq = itertools.count(1)


def commune(code: str) -> AdminUnit:
    return AdminUnit.objects.select_related("parent").get(scheme="2025", level=AdminUnit.Level.COMMUNE, code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "mat-khau-an-toan-123")


class ProducerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Producer

    name = factory.Sequence(lambda n: f"HTX Thử nghiệm {n}")
    kind = Producer.Kind.COOPERATIVE
    phone = "0912345678"
    status = Producer.Status.APPROVED
    latitude = 22.35
    longitude = 104.05


def producer_page(*, commune: AdminUnit, **kwargs):
    producer = ProducerFactory(commune=commune, **kwargs)
    return services.producer_page_create(producer=producer)


def listing(*, producer_page, name: str | None = None, skus=None, price_vnd: int = 120000, stock: int = 10,
            stars: int | None = 4, category: str = "thuc-pham", publish: bool = True, **certificate):
    n = next(_seq)
    name = name or f"Sản phẩm thử {n}"
    skus = skus or [catalog.SkuData(f"T-{n:04d}-A", "gói 500g", price_vnd, 500)]
    category_obj, _ = Category.objects.get_or_create(slug=category, defaults={"name": category.replace("-", " ").title()})
    page = services.listing_create(producer_page=producer_page, name=name, skus=skus, category=category_obj, publish=publish)
    if publish:
        for sku in page.product.skus.all():
            catalog.stock_set(sku=sku, on_hand=stock)
        if stars:
            defaults = {"decision_number": f"{n}/QĐ-UBND", "issuer": "UBND tỉnh Lào Cai", "issued_on": __import__("datetime").date.today()}
            catalog.certificate_save(certificate=OcopCertificate(product=page.product, stars=stars, **{**defaults, **certificate}))
    return page


# The checkout form a buyer in Xã Gia Phú fills in (cash on delivery to an address).
CHECKOUT_FORM = {"buyer_name": "Nguyễn Thị Lan", "phone": "0912 345 678", "email": "", "delivery": "address",
                 "commune_code": "02923", "address_line": "Thôn 3", "payment_method": "cod", "consent": "on"}


def checkout_form(form: dict, **changes) -> dict:
    """A checkout form post as the page renders it: with its own one-time key."""
    from marketplace.orders.forms import new_checkout_key

    return {**form, **changes, "checkout_key": new_checkout_key()}
