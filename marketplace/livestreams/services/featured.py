"""What a producer featured in someone else's session may change there: its own featured
products, and whether it takes part at all. The session itself (title, schedule, hosts, the
other producers) stays with its creator and commune editors (`live_session_save`)."""
from __future__ import annotations

from collections.abc import Collection, Sequence

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from ..models import LiveSession
from .errors import LiveError
from .schedule import FeaturedData, _featured, editable_or_raise


def live_session_featured_set(*, session: LiveSession, producer_ids: Collection[int],
                              featured: Sequence[FeaturedData]) -> LiveSession:
    """Replace the featured products of `producer_ids` in `session` (checked like any featured
    product); every other producer's rows are left as they are. Raises LiveError, saving nothing."""
    editable_or_raise(session)
    errors: list[str] = []
    skus = _featured(featured, errors)
    for item in featured:
        sku = skus.get(item.sku_id)
        if sku is not None and sku.product.producer_id not in producer_ids:
            errors.append(_("SKU số %(id)s không thuộc nhà sản xuất của bạn.") % {"id": item.sku_id})
    if errors:
        raise LiveError(errors)
    with transaction.atomic():
        own = session.featured.filter(sku__product__producer_id__in=list(producer_ids))
        others = session.featured.exclude(pk__in=own.values("pk"))
        start = (others.aggregate(last=Max("position"))["last"] or 0) + 1
        keep = []
        for offset, item in enumerate(featured):
            row, _created = session.featured.update_or_create(sku_id=item.sku_id, defaults={
                "live_price_vnd": item.live_price_vnd, "cap_total": item.cap_total, "cap_per_buyer": item.cap_per_buyer,
                "position": start + offset})
            keep.append(row.pk)
        # Rows with units held keep the sales history of past showings (as in live_session_save).
        own.exclude(pk__in=keep).filter(holds__isnull=True).delete()
    return session


def live_session_leave(*, session: LiveSession, producer_ids: Collection[int]) -> LiveSession:
    """Take `producer_ids` and their featured products out of `session`."""
    editable_or_raise(session)
    with transaction.atomic():
        session.featured.filter(sku__product__producer_id__in=list(producer_ids), holds__isnull=True).delete()
        session.producers.remove(*producer_ids)
    return session
