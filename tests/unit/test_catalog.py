import datetime as dt

import pytest
from django.db import IntegrityError

from marketplace.catalog import services
from marketplace.catalog.models import AdminUnit, AdminUnitMapping, OcopCertificate, Stock


@pytest.mark.django_db
def test_admin_units_both_schemes_and_mapping_loaded():
    assert AdminUnit.objects.filter(scheme="2025", level=AdminUnit.Level.PROVINCE).count() == 34
    assert AdminUnit.objects.filter(scheme="2025", level=AdminUnit.Level.COMMUNE).count() == 3321
    assert AdminUnit.objects.filter(scheme="legacy", level=AdminUnit.Level.PROVINCE).count() == 63
    # Codes repeat across schemes: the scheme is part of the key.
    assert AdminUnit.objects.filter(code="00004").values_list("scheme", flat=True).distinct().count() == 2
    old = AdminUnit.objects.get(scheme="legacy", level=AdminUnit.Level.COMMUNE, name="Xã Gia Phú", parent__parent__code="10")
    assert AdminUnitMapping.objects.filter(legacy=old, current__code="02923").exists()


def test_fold_vietnamese_folds_d_with_stroke():
    assert services.fold_vietnamese("Đặc sản Đồng Nai") == "dac san dong nai"
    assert services.fold_vietnamese("TRÀ MÃNG CẦU") == "tra mang cau"


@pytest.mark.django_db
def test_certificate_expiry_is_issue_plus_36_months_and_incomplete_is_flagged(make_listing):
    page = make_listing(stars=None)
    cert = services.certificate_save(certificate=OcopCertificate(product=page.product, stars=5, issued_on=dt.date(2024, 2, 29),
                                                                 decision_number="1/QĐ", issuer="UBND"))
    assert cert.expires_on == dt.date(2027, 2, 28)
    assert not cert.needs_completion
    partial = services.certificate_save(certificate=OcopCertificate(product=page.product, stars=3))
    assert partial.needs_completion and partial.expires_on is None and partial.is_valid()


@pytest.mark.django_db
def test_stars_outside_3_to_5_are_refused_by_the_database(make_listing):
    page = make_listing(stars=None)
    with pytest.raises(IntegrityError):
        OcopCertificate.objects.create(product=page.product, stars=2)


@pytest.mark.django_db
def test_stock_adjust_never_goes_below_reserved(make_listing):
    page = make_listing(stock=3)
    sku = page.product.skus.get()
    Stock.objects.filter(sku=sku).update(reserved=2)
    services.stock_adjust(sku_id=sku.pk, delta=-1)
    with pytest.raises(services.OutOfStock):
        services.stock_adjust(sku_id=sku.pk, delta=-1)
    assert Stock.objects.get(sku=sku).available == 0


@pytest.mark.django_db
def test_expired_certificate_drops_badge_and_unpublishes(make_listing, settings):
    settings.OCOP_EXPIRED_UNPUBLISH = True
    page = make_listing(stars=4, issued_on=dt.date.today() - dt.timedelta(days=37 * 31))
    assert services.certificates_expire() == (1, 1)
    page.product.refresh_from_db()
    assert not page.product.is_published
    assert page.product.current_certificate() is None
    page.refresh_from_db()
    assert not page.live
