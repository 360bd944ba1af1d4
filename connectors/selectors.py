"""Reads about platform listings, for the admin views and other parts (news, dashboards).

Interface other parts rely on: `configured_platforms()` and `live_product_ids(product_ids=...)`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.catalog.models import OcopCertificate, Product, Sku

from . import registry
from .models import Binding, Connection, OutboxEntry, Platform, PlatformOptOut, PlatformOrder, RemoteState, SyncState


def any_platform_configured() -> bool:
    """Whether at least one lane is configured (`bool(registry.lanes())`), cheaply: lanes from
    the environment need no query, and without any admin connection row there is no other lane.
    The catalogue's signals ask this inside every stock change (each checkout)."""
    if registry.env_lane_keys():
        return True
    if not Connection.objects.exists():
        return False
    return bool(registry.lanes())


def configured_platforms() -> list[str]:
    """Slugs of the platforms with at least one configured lane, in a fixed order."""
    return sorted({lane.platform for lane in registry.lanes()}, key=list(Platform.values).index)


def live_product_ids(*, product_ids: Iterable[int] | None = None) -> set[int]:
    """Products with at least one SKU on sale on at least one configured platform."""
    platforms = configured_platforms()
    rows = Binding.objects.filter(remote_status=RemoteState.LIVE, platform__in=platforms, sku__is_active=True)
    if product_ids is not None:
        rows = rows.filter(sku__product_id__in=list(product_ids))
    return set(rows.values_list("sku__product_id", flat=True).distinct())


def binding_state_text(binding: Binding | None, *, platform: str, opted_out: bool = False) -> tuple[str, str]:
    """(plain Vietnamese sentence, tone: ok|wait|error|off) for one SKU on one platform."""
    name = Platform(platform).label
    if opted_out:
        return _("Không bán trên %(p)s (đã tắt)") % {"p": name}, "off"
    if binding is None:
        return _("Chưa đăng lên %(p)s") % {"p": name}, "wait"
    if binding.sync_state == SyncState.FAILED:
        return _("%(p)s từ chối: %(reason)s") % {"p": name, "reason": _reason(binding.last_error, name)}, "error"
    if binding.sync_state == SyncState.RETRY:
        return _("Đang chờ gửi lại — nền tảng tạm thời lỗi"), "wait"
    if binding.sync_state in (SyncState.QUEUED, SyncState.IN_FLIGHT):
        return _("Đang chờ gửi lên %(p)s") % {"p": name}, "wait"
    remote = {
        RemoteState.LIVE: (_("Đang bán trên %(p)s"), "ok"),
        RemoteState.PENDING_REVIEW: (_("Đang chờ %(p)s duyệt"), "wait"),
        RemoteState.DELISTED: (_("Đã gỡ khỏi %(p)s"), "off"),
    }.get(binding.remote_status)
    if binding.remote_status == RemoteState.REJECTED:
        return _("%(p)s từ chối: %(reason)s") % {"p": name, "reason": _reason(binding.remote_reason, name)}, "error"
    if remote:
        return remote[0] % {"p": name}, remote[1]
    return _("Chưa đăng lên %(p)s") % {"p": name}, "wait"


def _reason(text: str, platform_name: str) -> str:
    text = (text or "").strip()
    for prefix in (f"{platform_name}:", "PostMart:", "Voso:", "37nghean:"):
        if text.startswith(prefix):
            text = text[len(prefix):].strip()
    return text or _("không rõ lý do")


@dataclasses.dataclass(frozen=True)
class SkuPlatformRow:
    sku: Sku
    cells: list[dict]  # per platform: {"platform", "label", "text", "tone", "external_id", "price"}


def product_platform_rows(*, product: Product) -> tuple[list[str], list[SkuPlatformRow], set[str]]:
    """The product's SKUs × configured platforms with their state; and the platforms opted out."""
    lanes = registry.lanes_for_commune(commune_code=product.producer.commune.code)
    platforms = sorted({lane.platform for lane in lanes}, key=list(Platform.values).index)
    outs = set(PlatformOptOut.objects.filter(product=product).values_list("platform", flat=True))
    skus = list(product.skus.filter(is_active=True).order_by("position", "pk"))
    bindings = {(b.sku_id, b.platform): b for b in Binding.objects.filter(sku__in=skus, platform__in=platforms)}
    rows = []
    for sku in skus:
        cells = []
        for platform in platforms:
            binding = bindings.get((sku.pk, platform))
            text, tone = binding_state_text(binding, platform=platform, opted_out=platform in outs)
            rounded = binding.remote_price_vnd if binding and binding.remote_price_vnd not in (None, sku.price_vnd) else None
            cells.append({"platform": platform, "label": Platform(platform).label, "text": text, "tone": tone,
                          "external_id": binding.external_id if binding else "", "platform_price": rounded})
        rows.append(SkuPlatformRow(sku=sku, cells=cells))
    return platforms, rows, outs


def sync_health(*, sku_scope: Q | None = None) -> list[dict]:
    """Per lane: queued, in flight, waiting for a retry, failed (with reasons), last success."""
    now = timezone.now()
    result = []
    for lane in registry.lanes():
        rows = Binding.objects.filter(platform=lane.platform, account=lane.account)
        if sku_scope is not None:
            rows = rows.filter(sku_scope)
        counts = dict(rows.values_list("sync_state").annotate(n=Count("pk")))
        remote = dict(rows.values_list("remote_status").annotate(n=Count("pk")))
        failures = list(rows.filter(sync_state__in=[SyncState.FAILED, SyncState.RETRY]).select_related("sku__product")
                        .order_by("-updated_at")[:20])
        result.append({
            "lane": lane, "queued": counts.get(SyncState.QUEUED, 0)
            + OutboxEntry.objects.filter(platform=lane.platform, account=lane.account).values("sku_id").distinct().count(),
            "in_flight": rows.filter(sync_state=SyncState.IN_FLIGHT, lease_until__gte=now).count(),
            "stuck": rows.filter(sync_state=SyncState.IN_FLIGHT, lease_until__lt=now).count(),
            "retry": counts.get(SyncState.RETRY, 0), "failed": counts.get(SyncState.FAILED, 0),
            "live": remote.get(RemoteState.LIVE, 0), "review": remote.get(RemoteState.PENDING_REVIEW, 0),
            "rejected": remote.get(RemoteState.REJECTED, 0),
            "last_success": rows.aggregate(at=Max("last_success_at"))["at"], "failures": failures,
            "orders_attention": PlatformOrder.objects.filter(platform=lane.platform, account=lane.account,
                                                             state=PlatformOrder.State.NEEDS_ATTENTION).count(),
        })
    return result


def commune_coverage(*, product_scope: Q | None = None, today: dt.date | None = None) -> list[dict]:
    """Per commune: its published OCOP products (valid certificate) and how many are live on at
    least one platform — the "10/10 on e-commerce" goal."""
    today = today or timezone.localdate()
    valid = OcopCertificate.objects.filter(is_expired=False).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
    products = Product.objects.filter(is_published=True, pk__in=valid.values("product_id"))
    if product_scope is not None:
        products = products.filter(product_scope)
    rows = list(products.values_list("pk", "producer__commune__code", "producer__commune__name", "producer__commune__parent__name"))
    live = live_product_ids(product_ids=[pk for pk, *_ in rows])
    communes: dict[str, dict] = defaultdict(lambda: {"total": 0, "live": 0})
    for pk, code, name, province in rows:
        entry = communes[code]
        entry.update(code=code, name=name, province=province)
        entry["total"] += 1
        entry["live"] += pk in live
    return sorted(communes.values(), key=lambda c: (c["live"] / c["total"], c["name"]))


def orders_needing_attention() -> list[PlatformOrder]:
    """Platform orders stored but not fulfillable as sent (for operators: they span communes)."""
    return list(PlatformOrder.objects.filter(state=PlatformOrder.State.NEEDS_ATTENTION).order_by("-created_at")[:100])
