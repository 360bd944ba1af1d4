"""Coverage per commune: OCOP products, certificates, platform listings and page visits."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

from django.conf import settings
from django.db.models import Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from cms.models import CommunePage
from cms.visits import PageVisit
from marketplace.catalog.models import OcopCertificate, Product

VISIT_DAYS = 30


@dataclasses.dataclass
class CoverageRow:
    commune_page: CommunePage
    ocop_products: int
    valid_certificates: int
    expiring_certificates: int
    live_on_platforms: int | None  # None: no platform connected
    visits: int


def platforms_live(product_ids: set[int]) -> set[int] | None:
    """Products live on at least one external platform, or None when no platform is connected
    (or the connectors' selectors are not installed)."""
    try:
        from connectors.selectors import configured_platforms, live_product_ids
    except ImportError:
        return None
    if not configured_platforms():
        return None
    return set(live_product_ids(product_ids=product_ids))


def commune_coverage(*, communes: list[CommunePage], today: dt.date | None = None) -> list[CoverageRow]:
    today = today or timezone.localdate()
    unit_ids = [c.admin_unit_id for c in communes]
    products = dict(Product.objects.filter(producer__commune_id__in=unit_ids, is_published=True)
                    .values_list("pk", "producer__commune_id"))
    valid = (OcopCertificate.objects.filter(product_id__in=products, is_expired=False)
             .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today)).values_list("product_id", "expires_on"))
    horizon = today + dt.timedelta(days=settings.OCOP_EXPIRY_WARNING_DAYS)
    ocop, certificates, expiring = {}, Counter(), Counter()
    for product_id, expires_on in valid:
        unit = products[product_id]
        ocop.setdefault(unit, set()).add(product_id)
        certificates[unit] += 1
        if expires_on is not None and expires_on <= horizon:
            expiring[unit] += 1
    live = platforms_live(set(products))
    live_per_unit = Counter(products[pk] for pk in live) if live is not None else None
    visits = _visits(communes=communes, since=today - dt.timedelta(days=VISIT_DAYS - 1))
    return [
        CoverageRow(
            commune_page=c, ocop_products=len(ocop.get(c.admin_unit_id, ())), valid_certificates=certificates[c.admin_unit_id],
            expiring_certificates=expiring[c.admin_unit_id],
            live_on_platforms=live_per_unit[c.admin_unit_id] if live_per_unit is not None else None,
            visits=visits.get(c.path, 0),
        )
        for c in communes
    ]


def _visits(*, communes: list[CommunePage], since: dt.date) -> dict[str, int]:
    """Visits of each commune page and the pages under it (its product pages) since `since`."""
    if not communes:
        return {}
    length = len(communes[0].path)
    rows = (PageVisit.objects.filter(day__gte=since)
            .annotate(prefix=Substr("page__path", 1, length)).filter(prefix__in=[c.path for c in communes])
            .values("prefix").annotate(total=Sum("count")).values_list("prefix", "total"))
    return dict(rows)
