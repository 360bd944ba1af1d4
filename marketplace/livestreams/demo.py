"""Demo livestreams for `load_demo`: Gia Phú's weekly online night market (recurring, with
featured products at a live price) and a one-off session in Cần Thơ. Idempotent: sessions are
found by title and left alone when present."""
from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from marketplace.catalog.models import AdminUnit, Sku

from .models import Host, LiveSession
from .services.errors import LiveError
from .services.hosts import host_save, host_verify
from .services.schedule import FeaturedData, SessionData, live_session_save

GIA_PHU, NINH_KIEU = "02923", "31135"


def _host(name: str, id_number: str, phone: str, verifier) -> Host:
    host = Host.objects.filter(id_number=id_number).first()
    if host is None:
        host = host_save(host=Host(name=name, id_number=id_number, phone=phone))
    if host.verified_at is None:
        host_verify(host=host, by=verifier)
    return host


def _featured(commune_code: str, count: int) -> list[FeaturedData]:
    """SKUs of the commune that may be featured (valid, complete certificate; stock for 20 live
    units): 10 % off, 20 live units, 2 per buyer."""
    today = timezone.localdate()
    skus = (Sku.objects.filter(is_active=True, product__is_published=True, product__producer__commune__code=commune_code,
                               product__producer__commune__scheme=AdminUnit.Scheme.Y2025)
            .select_related("product", "stock").prefetch_related("product__certificates").order_by("pk"))
    chosen = []
    for sku in skus:
        certificate = sku.product.current_certificate(today)
        if certificate is None or certificate.needs_completion or not hasattr(sku, "stock") or sku.stock.available < 20:
            continue
        chosen.append(FeaturedData(sku_id=sku.pk, live_price_vnd=max(1000, sku.price_vnd * 9 // 10 // 1000 * 1000),
                                   cap_total=20, cap_per_buyer=2))
        if len(chosen) == count:
            break
    return chosen


def load_demo_livestreams(*, stdout=None) -> int:
    """Create the demo sessions that are missing; returns how many were created."""
    verifier = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    host = _host("Lò Thị Mai", "001190012345", "0912000111", verifier)
    created = 0
    now_local = timezone.localtime()
    friday = (now_local + dt.timedelta(days=(4 - now_local.weekday()) % 7 or 7)).replace(hour=19, minute=0, second=0, microsecond=0)
    plans = [
        (GIA_PHU, "Chợ phiên online Gia Phú — tối thứ Sáu", friday, 2, "FREQ=WEEKLY;BYDAY=FR;COUNT=8",
         "Nhà văn hoá thôn Phú Hải", "Mỗi tối thứ Sáu, HTX và hộ sản xuất xã Gia Phú giới thiệu sản phẩm OCOP, giá live giảm 10%."),
        (NINH_KIEU, "Đặc sản Ninh Kiều lên sóng", friday + dt.timedelta(days=1, hours=1), 2, "",
         "Bến Ninh Kiều", "Một buổi giới thiệu đặc sản Cần Thơ cùng các nhà sản xuất OCOP."),
    ]
    for code, title, start, hours, rrule, venue, description in plans:
        if LiveSession.objects.filter(title=title).exists():
            continue
        commune = AdminUnit.objects.filter(scheme=AdminUnit.Scheme.Y2025, level=AdminUnit.Level.COMMUNE, code=code).first()
        if commune is None:
            continue
        featured = _featured(code, 3)
        if not featured:
            continue  # nothing of this commune may be featured (e.g. a partial demo load)
        data = SessionData(
            title=title, commune_id=commune.pk, starts_local=start.replace(tzinfo=None),
            ends_local=(start + dt.timedelta(hours=hours)).replace(tzinfo=None), host_ids=[host.pk],
            producer_ids=sorted({Sku.objects.get(pk=f.sku_id).product.producer_id for f in featured}), featured=featured,
            links={"facebook": "https://www.facebook.com/", "own": ""}, description=description, venue=venue, rrule=rrule,
        )
        try:
            # The first superuser is recorded as creator; with none, the loader acts as the system.
            live_session_save(data=data, schedule=True, by=verifier)
        except LiveError as error:  # the demo must not stop the rest of load_demo
            if stdout is not None:
                stdout.write(f"Phiên live mẫu “{title}” không tạo được: {error}")
            continue
        created += 1
    return created
