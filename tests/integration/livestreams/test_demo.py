"""The demo livestreams that `load_demo` adds: scheduled, with featured products, created once."""
from marketplace.livestreams.demo import load_demo_livestreams
from marketplace.livestreams.models import LiveSession


def test_demo_sessions_are_scheduled_once_with_featured_products(editor, make_listing):
    sku = make_listing(price_vnd=120000, stock=50).product.skus.get()

    assert load_demo_livestreams() == 1  # Gia Phú; the Cần Thơ commune has no products here
    session = LiveSession.objects.get()
    assert session.state == LiveSession.State.SCHEDULED
    assert session.occurrences.count() == 8  # every Friday for 8 weeks
    featured = session.featured.get()
    assert (featured.sku_id, featured.live_price_vnd) == (sku.pk, 108000)
    assert session.hosts.get().verified_at is not None

    assert load_demo_livestreams() == 0
    assert LiveSession.objects.count() == 1
