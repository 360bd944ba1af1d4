"""A producer featured in another's session manages only its own featured products there, and
may leave; the session's manager keeps every product others put in it when editing."""
from __future__ import annotations

import pytest

from marketplace.livestreams import access, services
from marketplace.livestreams.models import FeaturedProduct
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def second(commune):
    """Another producer of the commune, with a user and a certified SKU."""
    page = factories.producer_page(commune=commune, name="HTX Mật ong Gia Phú")
    user = factories.UserFactory(username="nsx.matong")
    page.producer.users.add(user)
    sku = factories.listing(producer_page=page, price_vnd=200000, stock=20).product.skus.get()
    return page.producer, user, sku


@pytest.fixture
def shared(plan, sku, second):
    producer, _user, other_sku = second
    return plan(featured=[services.FeaturedData(sku.pk, 99000, 5, 2), services.FeaturedData(other_sku.pk, 150000, 5, 2)],
                producer_ids=[producer.pk])


def test_a_featured_producer_changes_only_its_own_rows(shared, sku, second):
    producer, user, other_sku = second
    services.live_session_featured_set(session=shared, producer_ids=[producer.pk],
                                       featured=[services.FeaturedData(other_sku.pk, 140000, 3, 1)])
    assert FeaturedProduct.objects.get(session=shared, sku=other_sku).live_price_vnd == 140000
    assert FeaturedProduct.objects.get(session=shared, sku=sku).live_price_vnd == 99000  # the other producer's row

    with pytest.raises(services.LiveError, match="không thuộc nhà sản xuất"):
        services.live_session_featured_set(session=shared, producer_ids=[producer.pk],
                                           featured=[services.FeaturedData(sku.pk, 1000, 1, 1)])
    assert FeaturedProduct.objects.get(session=shared, sku=sku).live_price_vnd == 99000


def test_leaving_takes_out_only_the_leaver(shared, sku, second):
    producer, _user, other_sku = second
    services.live_session_leave(session=shared, producer_ids=[producer.pk])
    assert not shared.producers.filter(pk=producer.pk).exists()
    assert list(shared.featured.values_list("sku_id", flat=True)) == [sku.pk]


def test_the_featured_producer_is_not_a_manager_but_the_creator_and_editors_are(shared, second, editor):
    _producer, user, other_sku = second
    assert not access.can_manage(user, shared)
    assert access.sessions_for(user).filter(pk=shared.pk).exists()  # still sees it
    assert access.can_manage(editor, shared)  # an operator
    assert other_sku in access.skus_for(editor, session=shared)
