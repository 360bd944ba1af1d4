"""Platform orders: pulled (or pushed by webhook), stored once, stock taken under the same rules
as our checkout, acknowledged on the platform only once stored; cancellations give stock back.

An order we cannot fulfil as sent (an unknown SKU, more than the stock) is stored as needing
attention — never dropped — and not acknowledged: acknowledging tells the platform we will ship.
An operator then takes it again against today's catalogue (`attention_order_retry`) or rejects it
with a reason (`attention_order_reject`).

Every request of an import (each page, each acknowledgement, a token fetch) first waits for the
credential's rate limiter, shared with the listing sync (`_pacer`, through `session.paced`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.catalog import services as catalog
from marketplace.catalog.models import Sku
from marketplace.orders import dispatches as order_dispatches
from marketplace.orders import signals as order_signals
from marketplace.orders.models import Checkout, Order, OrderLine, OrderTransition, PaymentMethod
from marketplace.orders.services import TransitionError, order_transition

from .. import registry
from ..base import OrderStatus, PlatformAdapter, PlatformOrderLine
from ..base import PlatformOrder as RemoteOrder
from ..exceptions import ConnectorError
from ..models import LaneCursor, Platform, PlatformOrder
from ..ratelimit import limiter

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class ImportSummary:
    seen: int = 0
    stored: int = 0
    needs_attention: int = 0
    cancelled: int = 0
    acknowledged: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)


def orders_import(*, lane: registry.Lane, now: dt.datetime | None = None) -> ImportSummary:
    """Read the lane's new and cancelled orders since the last successful import (with overlap),
    store each once, acknowledge what was stored; the cursor moves only after a full read."""
    now = now or timezone.now()
    summary = ImportSummary()
    cursor, _created = LaneCursor.objects.get_or_create(platform=lane.platform, account=lane.account)
    since = (cursor.orders_imported_until or now - dt.timedelta(days=settings.CONNECTOR_ORDER_FIRST_IMPORT_DAYS))
    since -= dt.timedelta(minutes=settings.CONNECTOR_ORDER_OVERLAP_MINUTES)
    adapter = registry.adapter_for(lane)
    try:
        with adapter.session.paced(_pacer(lane, adapter)):
            for remote in adapter.list_orders(since=since, until=now):
                summary.seen += 1
                order_receive(lane=lane, order=remote, summary=summary)
    except ConnectorError as error:
        summary.errors.append(error.message)
        LaneCursor.objects.filter(pk=cursor.pk).update(last_import_error=error.message[:2000])
    else:
        LaneCursor.objects.filter(pk=cursor.pk).update(orders_imported_until=now, last_import_error="")
    orders_acknowledge_pending(lane=lane, summary=summary)
    return summary


def _pacer(lane: registry.Lane, adapter: PlatformAdapter) -> Callable[[], None] | None:
    """What runs before each request: wait for the lane's limiter (the one the listing sync
    uses, shared by every worker process). None when rate limits are off."""
    if not settings.CONNECTOR_RATE_LIMITS:
        return None
    key, limit = lane.key, max(1, round(adapter.rate_per_second))

    def pace() -> None:
        limiter().acquire(key, limit)

    return pace


def order_receive(*, lane: registry.Lane, order: RemoteOrder, summary: ImportSummary | None = None) -> PlatformOrder:
    """Store a new order once, or apply a cancellation (webhooks and the import both call this)."""
    summary = summary or ImportSummary()
    if order.status == OrderStatus.CANCELLED:
        return order_cancel(lane=lane, order=order, summary=summary)
    row = PlatformOrder.objects.filter(platform=lane.platform, external_id=order.external_id).first()
    if row is not None:
        return row
    with transaction.atomic():
        row, created = PlatformOrder.objects.get_or_create(
            platform=lane.platform, external_id=order.external_id,
            defaults={"account": lane.account, "state": PlatformOrder.State.IMPORTED, "payload": _payload(order),
                      "placed_at": order.created_at,
                      "acknowledged_at": timezone.now() if order.status == OrderStatus.ACKNOWLEDGED else None})
        if created:
            problem = _take(row, order)
            if problem:
                row.state, row.attention_reason = PlatformOrder.State.NEEDS_ATTENTION, problem
                row.save(update_fields=["state", "attention_reason"])
                summary.needs_attention += 1
            else:
                summary.stored += 1
    return row


def _take(row: PlatformOrder, order: RemoteOrder) -> str:
    """Create the checkout and its orders with stock reserved; the reason it cannot be done, or ''."""
    quantities: dict[str, int] = defaultdict(int)
    prices: dict[str, int] = {}
    for line in order.lines:
        quantities[line.sku] += line.quantity
        prices[line.sku] = line.unit_price_vnd
    skus = {s.code: s for s in Sku.objects.filter(code__in=list(quantities)).select_related("product__producer__commune")}
    unknown = sorted(set(quantities) - set(skus))
    if unknown or not quantities:
        return _("Mã SKU không có trong danh mục: %(codes)s") % {"codes": ", ".join(unknown) or "—"}
    if any(q <= 0 for q in quantities.values()):
        return _("Số lượng không hợp lệ trong đơn của sàn.")
    try:
        catalog.stock_reserve(lines=[(skus[code].pk, qty) for code, qty in quantities.items()])
    except catalog.OutOfStock as error:
        return _("SKU %(sku)s: sàn đặt %(requested)s, chỉ còn %(available)s.") % {
            "sku": error.sku_code, "requested": error.requested, "available": max(error.available, 0)}
    row.checkout = _checkout_create(row, order, skus, quantities, prices)
    row.save(update_fields=["checkout"])
    return ""


def _checkout_create(row: PlatformOrder, order: RemoteOrder, skus, quantities, prices) -> Checkout:
    first = next(iter(skus.values())).product.producer
    commune = (catalog.commune_get(code=order.commune_code) if order.commune_code else None) or first.commune
    label = Platform(row.platform).label
    checkout = Checkout.objects.create(
        buyer_name=(order.buyer_name or label)[:120], phone=order.buyer_phone or str(first.phone), privacy_consent_at=order.created_at,
        commune=commune, address_line=order.address[:255], payment_method=PaymentMethod.PLATFORM, channel=row.platform)
    by_producer = defaultdict(list)
    for code in sorted(quantities):
        by_producer[skus[code].product.producer_id].append(skus[code])
    total = 0
    for producer_skus in by_producer.values():
        subtotal = sum(prices[s.code] * quantities[s.code] for s in producer_skus)
        # The platform collected the money: the order is paid to us through the platform.
        order_row = Order.objects.create(checkout=checkout, producer=producer_skus[0].product.producer, subtotal_vnd=subtotal,
                                         delivery_fee_vnd=0, total_vnd=subtotal, payment_status=Order.Payment.AUTHORISED)
        OrderLine.objects.bulk_create(OrderLine(order=order_row, sku=s, sku_code=s.code, name=s.product.name, unit=s.unit,
                                                unit_price_vnd=prices[s.code], quantity=quantities[s.code]) for s in producer_skus)
        OrderTransition.objects.create(order=order_row, field=OrderTransition.Field.FULFILMENT, to_state=order_row.fulfilment_status,
                                       note=(_("Đơn từ sàn %(platform)s: %(id)s") % {"platform": label, "id": row.external_id})[:255])
        total += subtotal
    checkout.total_vnd = total
    checkout.save(update_fields=["total_vnd"])
    order_dispatches.checkout_notices_record(checkout=checkout)  # the producer's notice commits with the orders
    transaction.on_commit(lambda: order_signals.checkout_placed.send(sender=Checkout, checkout=checkout))
    return checkout


def order_cancel(*, lane: registry.Lane, order: RemoteOrder, summary: ImportSummary) -> PlatformOrder:
    """The buyer cancelled on the platform: cancel our orders (their stock comes back)."""
    with transaction.atomic():
        row, created = PlatformOrder.objects.get_or_create(
            platform=lane.platform, external_id=order.external_id,
            defaults={"account": lane.account, "state": PlatformOrder.State.CANCELLED, "payload": _payload(order),
                      "placed_at": order.created_at, "cancelled_at": timezone.now()})
        row = PlatformOrder.objects.select_for_update().get(pk=row.pk)
        if created or row.state == PlatformOrder.State.CANCELLED:
            return row
        if row.checkout_id:
            for order_row in Order.objects.filter(checkout_id=row.checkout_id).exclude(fulfilment_status=Order.Fulfilment.CANCELLED):
                try:
                    order_transition(order=order_row, field=OrderTransition.Field.FULFILMENT, to=Order.Fulfilment.CANCELLED,
                                     note=_("Người mua huỷ trên sàn"))
                except TransitionError as error:  # e.g. already delivered: a person decides
                    logger.warning("platform cancellation of %s not applied: %s", row, error.message)
        row.state, row.cancelled_at = PlatformOrder.State.CANCELLED, timezone.now()
        row.save(update_fields=["state", "cancelled_at"])
        summary.cancelled += 1
    return row


def orders_acknowledge_pending(*, lane: registry.Lane, summary: ImportSummary | None = None) -> int:
    """Acknowledge stored orders not yet acknowledged (an ack that failed is tried again here)."""
    summary = summary or ImportSummary()
    adapter = registry.adapter_for(lane)
    pending = PlatformOrder.objects.filter(platform=lane.platform, account=lane.account, state=PlatformOrder.State.IMPORTED,
                                           acknowledged_at__isnull=True).order_by("pk")
    for row in pending:
        try:
            with adapter.session.paced(_pacer(lane, adapter)):
                adapter.acknowledge_order(row.external_id)
        except ConnectorError as error:
            summary.errors.append(f"{row.external_id}: {error.message}")
            continue
        PlatformOrder.objects.filter(pk=row.pk).update(acknowledged_at=timezone.now())
        summary.acknowledged += 1
    return summary.acknowledged


def _payload(order: RemoteOrder) -> dict:
    data = dataclasses.asdict(order)
    data["created_at"] = order.created_at.isoformat()
    return data


def _order_from_payload(data: dict) -> RemoteOrder:
    """The platform order as it was stored by `_payload`."""
    line_fields = {f.name for f in dataclasses.fields(PlatformOrderLine)}
    order_fields = {f.name for f in dataclasses.fields(RemoteOrder)}
    values = {key: value for key, value in data.items() if key in order_fields}
    values["status"] = OrderStatus(values.get("status") or OrderStatus.NEW)
    values["created_at"] = dt.datetime.fromisoformat(values["created_at"])
    values["lines"] = tuple(PlatformOrderLine(**{k: v for k, v in line.items() if k in line_fields})
                            for line in values.get("lines") or ())
    return RemoteOrder(**values)


# --- orders needing attention: the operator's two actions ---------------------------------------

class AttentionOrderError(Exception):
    """The action cannot be done (no reason given, the platform refused); `message` is for the
    operator."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AttentionOrderHandled(AttentionOrderError):
    """The order no longer needs attention (a second submit, or handled meanwhile): nothing done."""


@dataclasses.dataclass(frozen=True)
class RetryResult:
    row: PlatformOrder
    imported: bool  # stock taken and the checkout made; else `row.attention_reason` says why not


@dataclasses.dataclass(frozen=True)
class RejectResult:
    row: PlatformOrder
    rejected_on_platform: bool  # False: the platform has no such call; it must be cancelled on its site


def _locked_attention_order(order_id: int) -> PlatformOrder:
    """The row, locked until the transaction ends, if it still needs attention (a second submit
    of the same action, or the other action, finds it handled and changes nothing)."""
    row = PlatformOrder.objects.select_for_update().filter(pk=order_id).first()
    if row is None:
        raise AttentionOrderError(_("Không tìm thấy đơn từ sàn này."))
    if row.state != PlatformOrder.State.NEEDS_ATTENTION:
        raise AttentionOrderHandled(_("Đơn %(id)s đã được xử lý trước đó (%(state)s).") % {
            "id": row.external_id, "state": row.get_state_display()})
    return row


def attention_order_retry(*, order_id: int) -> RetryResult:
    """Take an order needing attention again with the import's own rule against today's
    catalogue (after a restock or a corrected SKU code). On success it is imported exactly as
    the import would have done it (checkout, orders, stock held, the producer's notice
    recorded with them), and its acknowledgement is sent after the commit (or by the next import).
    On failure the stored reason is brought up to date."""
    with transaction.atomic():
        row = _locked_attention_order(order_id)
        problem = _take(row, _order_from_payload(row.payload))
        if problem:
            row.attention_reason = problem
            row.save(update_fields=["attention_reason"])
            return RetryResult(row=row, imported=False)
        row.state, row.attention_reason = PlatformOrder.State.IMPORTED, ""
        row.save(update_fields=["state", "attention_reason"])
        if row.acknowledged_at is None:
            transaction.on_commit(_acknowledge_later(row.platform, row.account), robust=True)
    return RetryResult(row=row, imported=True)


def _acknowledge_later(platform: str, account: str):
    def enqueue():
        from ..tasks import acknowledge_orders

        acknowledge_orders.delay(platform, account)

    return enqueue


def attention_order_reject(*, order_id: int, user, reason: str, now: dt.datetime | None = None) -> RejectResult:
    """Refuse an order needing attention: who, when and why are recorded and it leaves the list.
    It is never acknowledged; no stock was taken for it, so none is given back. Where the
    platform has a call to reject an order it is made first (the row stays as it was if that
    fails); the three specified platforms have none, so the operator cancels it on their site."""
    reason = (reason or "").strip()
    if not reason:
        raise AttentionOrderError(_("Hãy ghi lý do từ chối đơn."))
    with transaction.atomic():
        row = _locked_attention_order(order_id)
        lane = registry.lane_get(platform=row.platform, account=row.account)
        adapter = registry.adapter_for(lane) if lane else None
        on_platform = bool(adapter and adapter.supports_order_reject)
        if on_platform:
            try:
                with adapter.session.paced(_pacer(lane, adapter)):
                    adapter.reject_order(row.external_id, reason=reason)
            except ConnectorError as error:
                raise AttentionOrderError(_("%(platform)s không nhận lệnh từ chối đơn %(id)s: %(error)s") % {
                    "platform": Platform(row.platform).label, "id": row.external_id, "error": error.message}) from error
        row.state, row.rejected_at = PlatformOrder.State.REJECTED, now or timezone.now()
        row.rejected_by, row.rejection_reason = user, reason
        row.save(update_fields=["state", "rejected_at", "rejected_by", "rejection_reason"])
    return RejectResult(row=row, rejected_on_platform=on_platform)
