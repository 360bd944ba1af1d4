"""Writes for carts, checkouts and orders. Keyword-only and typed; views and tasks call these.

Money is integer đồng throughout. Prices always come from the catalogue, never from a form.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from phonenumber_field.phonenumber import to_python

from marketplace.catalog import services as catalog
from marketplace.catalog.models import AdminUnit, Producer, Sku
from marketplace.livestreams import pricing as live_pricing

from . import dispatches, signals
from .models import Checkout, Order, OrderLine, OrderTransition, PaymentMethod
from .selectors import checkout_by_key
from .states import FULFILMENT_MOVES, PAYMENT_MOVES

CART_SESSION_KEY = "cart"
MAX_LINE_QUANTITY = 99
MAX_CART_LINES = 50


class OrderError(ValueError):
    """A request we refuse, with a message for the buyer or producer (Vietnamese)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CartError(OrderError):
    pass


class CheckoutError(OrderError):
    pass


class TransitionError(OrderError):
    pass


# -- cart (in the session: anonymous or signed in) ------------------------------------------------
@dataclasses.dataclass(frozen=True)
class CartLine:
    sku: Sku
    quantity: int

    @property
    def total_vnd(self) -> int:
        return self.sku.price_vnd * self.quantity


def _sellable_skus(sku_ids: Sequence[int]) -> dict[int, Sku]:
    # The producer's commune is for the delivery fee (its parent_id), the stock for the cart's
    # limit. No ORDER BY: the result is a dict, and ordering costs a good part of this query.
    skus = Sku.objects.filter(
        pk__in=list(sku_ids), is_active=True, product__is_published=True, product__producer__status=Producer.Status.APPROVED
    ).select_related("product__producer__commune", "stock").order_by()
    return {sku.pk: sku for sku in skus}


def _cart(session) -> dict[str, int]:
    return dict(session.get(CART_SESSION_KEY) or {})


def cart_set(*, session, sku_id: int, quantity: int) -> None:
    """Set a line's quantity (0 removes it). Refuses SKUs not on sale and more than is available."""
    cart = _cart(session)
    if quantity == 0:
        cart.pop(str(sku_id), None)
    else:
        if not 1 <= quantity <= MAX_LINE_QUANTITY:
            raise CartError(_("Số lượng mỗi sản phẩm từ 1 đến %(max)s.") % {"max": MAX_LINE_QUANTITY})
        sku = _sellable_skus([sku_id]).get(sku_id)
        if sku is None:
            raise CartError(_("Sản phẩm này hiện không bán."))
        available = sku.stock.available if hasattr(sku, "stock") else 0
        available = live_pricing.live_available(sku_id=sku.pk, default=available)  # live window: the session's units
        if quantity > available:
            raise CartError(_("“%(name)s — %(unit)s” chỉ còn %(available)s.") % {
                "name": sku.product.name, "unit": sku.unit, "available": available})
        if str(sku_id) not in cart and len(cart) >= MAX_CART_LINES:
            raise CartError(_("Giỏ hàng có tối đa %(max)s sản phẩm.") % {"max": MAX_CART_LINES})
        cart[str(sku_id)] = quantity
    session[CART_SESSION_KEY] = cart
    session.modified = True


def cart_add(*, session, sku_id: int, quantity: int = 1) -> int:
    """Add to a line; returns the line's new quantity."""
    if quantity < 1:
        raise CartError(_("Số lượng mỗi sản phẩm từ 1 đến %(max)s.") % {"max": MAX_LINE_QUANTITY})
    new = _cart(session).get(str(sku_id), 0) + quantity
    cart_set(session=session, sku_id=sku_id, quantity=new)
    return new


def cart_lines(*, session, live_prices: bool = True) -> list[CartLine]:
    """The cart's lines still on sale, grouped by producer (lines no longer sold are left out).

    During a live window the featured SKUs show the live price (`live_prices`). A caller that
    only places the order may leave it out (checkout takes the live offers itself, inside its
    transaction) and call `cart_live_prices_apply` if it shows the lines after all."""
    cart = {int(k): int(v) for k, v in _cart(session).items()}
    skus = _sellable_skus(list(cart))
    lines = [CartLine(sku=skus[pk], quantity=qty) for pk, qty in cart.items() if pk in skus and qty > 0]
    if live_prices:
        cart_live_prices_apply(lines=lines)
    return sorted(lines, key=lambda line: (line.sku.product.producer.name, line.sku.product.name, line.sku.position, line.sku.pk))


def cart_live_prices_apply(*, lines: Sequence[CartLine]) -> None:
    """For display: during a live window, the live price on these lines' SKUs (in memory only)."""
    live_pricing.skus_live_price_apply(skus=[line.sku for line in lines])


def cart_clear(*, session) -> None:
    session.pop(CART_SESSION_KEY, None)


# -- checkout ---------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class BuyerData:
    name: str
    phone: str
    email: str = ""
    consent: bool = False


@dataclasses.dataclass(frozen=True)
class DeliveryData:
    commune_code: str
    address_line: str = ""
    kind: str = Checkout.Delivery.ADDRESS


def delivery_fee(*, producer: Producer, commune: AdminUnit, kind: str) -> int:
    """The operator's flat fee for the zone the buyer is in, seen from the producer."""
    fees = settings.ORDER_DELIVERY_FEES_VND
    if kind == Checkout.Delivery.PICKUP:
        return fees["pickup"]
    if producer.commune_id == commune.pk:
        return fees["same_commune"]
    if producer.commune.parent_id == commune.parent_id:
        return fees["same_province"]
    return fees["other_province"]


def reservation_expiry(*, method: str, now: dt.datetime) -> dt.datetime | None:
    if method == PaymentMethod.CARD:
        return now + dt.timedelta(minutes=settings.ORDER_RESERVATION_MINUTES_CARD)
    if method == PaymentMethod.TRANSFER:
        return now + dt.timedelta(hours=settings.ORDER_RESERVATION_HOURS_TRANSFER)
    return None  # COD: held until shipped or cancelled


def checkout_place(
    *, lines: Sequence[tuple[int, int]], buyer: BuyerData, delivery: DeliveryData, payment_method: str, user=None,
    live_occurrence_id: int | None = None, skus: Mapping[int, Sku] | None = None, key: str = "", session=None,
) -> Checkout:
    """Reserve stock for every line and create one order per producer, all or nothing.

    COD orders go ahead unpaid; transfer and card orders wait for their payment until
    `reservation_expires_at`, after which `reservations_release_expired` cancels them.

    `skus`: the lines' SKUs when the caller has just loaded them with `cart_lines` (the checkout
    page), to spare loading them again; they are copied, at the catalogue price.

    `key`: the checkout form's one-time key, stored unique with the checkout. Placing a key that
    was already placed (a double click, a concurrent twin, a retry after a lost answer) returns
    that first checkout and places nothing, even when the stock it took leaves none now.
    `session`: the buyer's session, whose cart is emptied and saved in the checkout's
    transaction, so that an order placed never stays in the cart to be ordered again.
    """
    try:
        return _checkout_place(lines=lines, buyer=buyer, delivery=delivery, payment_method=payment_method, user=user,
                               live_occurrence_id=live_occurrence_id, skus=skus, key=key, session=session)
    except (CheckoutError, IntegrityError):
        # Looked up only when placing failed: the insert of a known key fails on the unique
        # constraint (a concurrent twin waits there until the first commits), and a repeat may be
        # refused earlier for the stock or live units the first one took.
        first = checkout_by_key(key=key)
        if first is None:
            raise
        return first


def _checkout_place(
    *, lines: Sequence[tuple[int, int]], buyer: BuyerData, delivery: DeliveryData, payment_method: str, user,
    live_occurrence_id: int | None, skus: Mapping[int, Sku] | None, key: str, session,
) -> Checkout:
    quantities = _checked_quantities(lines)
    skus = _checkout_skus(quantities, given=skus)
    if len(skus) != len(quantities):
        raise CheckoutError(_("Một số sản phẩm trong giỏ không còn bán. Vui lòng xem lại giỏ hàng."))
    checkout = _checkout_build(buyer=buyer, delivery=delivery, payment_method=payment_method, user=user)
    checkout.idempotency_key = key or None
    at = checkout.privacy_consent_at
    try:
        with transaction.atomic():
            # Featured SKUs in a live window: units come from the session's hold (already reserved
            # on stock) at the live price, within its caps; every other line reserves as usual.
            # The window is looked up once, for the claim and for the attribution rows.
            window = live_pricing.live_window(sku_ids=quantities, at=at)
            live = live_pricing.live_claim(quantities=quantities, phone=checkout.phone.as_e164, at=at, window=window)
            catalog.stock_reserve(lines=sorted((sku_id, qty) for sku_id, qty in quantities.items() if sku_id not in live))
            for sku_id, offer in live.items():
                skus[sku_id].price_vnd = offer.live_price_vnd  # in memory only: the order line's price
            order_lines = _orders_create(checkout=checkout, skus=skus, quantities=quantities)
            live_pricing.live_sales_record(checkout=checkout, claims=live, link_occurrence_id=live_occurrence_id, at=at,
                                           window=window, lines=order_lines)
            if session is not None:
                _cart_empty_now(session=session)
            dispatches.checkout_notices_record(checkout=checkout)
            transaction.on_commit(lambda: signals.checkout_placed.send(sender=Checkout, checkout=checkout))
    except live_pricing.LiveLimitError as error:
        raise CheckoutError(error.message) from error
    except catalog.OutOfStock as error:
        sku = next(s for s in skus.values() if s.code == error.sku_code)
        raise CheckoutError(_("“%(name)s — %(unit)s” chỉ còn %(available)s, không đủ %(requested)s. Vui lòng giảm số lượng.") % {
            "name": sku.product.name, "unit": sku.unit, "available": max(error.available, 0), "requested": error.requested}) from error
    return checkout


def _cart_empty_now(*, session) -> None:
    """Empty the cart and store the session in the caller's transaction (database sessions)."""
    cart_clear(session=session)
    try:
        session.save()
    except UpdateError as error:  # as Django's session middleware answers it (400), placing nothing
        raise SessionInterrupted("The session was deleted before the checkout could empty its cart.") from error
    session.modified = False  # stored: the response need not store it again


def _checkout_skus(quantities: dict[int, int], *, given: Mapping[int, Sku] | None) -> dict[int, Sku]:
    """The sellable SKUs of the lines: the caller's when it has them all, else loaded here.

    The caller's are copies, so the prices set here never reach its instances, and carry the
    catalogue price even if the caller put a live price on them for display."""
    if given is None or any(sku_id not in given for sku_id in quantities):
        return _sellable_skus(list(quantities))
    skus = {}
    for sku_id in quantities:
        skus[sku_id] = copy.copy(given[sku_id])
        live_pricing.sku_live_price_undo(skus[sku_id])
    return skus


def _checked_quantities(lines: Sequence[tuple[int, int]]) -> dict[int, int]:
    quantities: dict[int, int] = defaultdict(int)
    for sku_id, qty in lines:
        quantities[int(sku_id)] += int(qty)
    if not quantities:
        raise CheckoutError(_("Giỏ hàng đang trống."))
    if any(not 1 <= qty <= MAX_LINE_QUANTITY for qty in quantities.values()):
        raise CheckoutError(_("Số lượng mỗi sản phẩm từ 1 đến %(max)s.") % {"max": MAX_LINE_QUANTITY})
    return dict(quantities)


def _checkout_build(*, buyer: BuyerData, delivery: DeliveryData, payment_method: str, user) -> Checkout:
    """An unsaved, fully validated checkout (so nothing is reserved for a bad one)."""
    if not buyer.consent:
        raise CheckoutError(_("Cần đồng ý với chính sách bảo vệ dữ liệu cá nhân để đặt hàng."))
    if payment_method not in PaymentMethod.values or payment_method == PaymentMethod.PLATFORM:
        raise CheckoutError(_("Cách thanh toán không hợp lệ."))
    commune = catalog.commune_get(code=(delivery.commune_code or "").strip())
    if commune is None:
        raise CheckoutError(_("Không tìm thấy xã/phường có mã %(code)s (mã 5 chữ số theo danh mục từ 1/7/2025).") % {
            "code": delivery.commune_code})
    if delivery.kind == Checkout.Delivery.ADDRESS and not delivery.address_line.strip():
        raise CheckoutError(_("Vui lòng nhập địa chỉ nhận hàng (số nhà, thôn/ấp, đường)."))
    phone = to_python(buyer.phone, region="VN")
    if not (phone and phone.is_valid() and phone.country_code == 84):
        raise CheckoutError(_("Số điện thoại không đúng định dạng Việt Nam (ví dụ 0912 345 678)."))
    now = timezone.now()
    checkout = Checkout(
        user=user if user is not None and user.is_authenticated else None, buyer_name=buyer.name.strip(), phone=phone,
        email=buyer.email.strip(), privacy_consent_at=now, delivery=delivery.kind, commune=commune,
        address_line=delivery.address_line.strip(), payment_method=payment_method,
        reservation_expires_at=reservation_expiry(method=payment_method, now=now),
    )
    try:
        # Field checks only: the commune and user were just loaded, and reference/access_token are
        # random (a clash fails the insert) — their lookups would cost three queries per checkout.
        checkout.full_clean(exclude=["total_vnd", "commune", "user"], validate_unique=False)
    except ValidationError as error:
        raise CheckoutError(" ".join(_field_error(field, messages) for field, messages in error.message_dict.items())) from error
    return checkout


def _field_error(field: str, messages: list[str]) -> str:
    if field == "phone":  # phonenumber_field's own message is English only
        return _("Số điện thoại không đúng định dạng Việt Nam (ví dụ 0912 345 678).")
    label = Checkout._meta.get_field(field).verbose_name if field != "__all__" else ""
    return f"{str(label).capitalize()}: {' '.join(messages)}" if label else " ".join(messages)


def _orders_create(*, checkout: Checkout, skus: dict[int, Sku], quantities: dict[int, int]) -> list[OrderLine]:
    """Save the checkout (with its total, known beforehand) and its orders; returns the order lines."""
    by_producer: dict[int, list[Sku]] = defaultdict(list)
    for sku in sorted(skus.values(), key=lambda s: s.pk):
        by_producer[sku.product.producer_id].append(sku)
    amounts = []
    for producer_skus in by_producer.values():
        producer = producer_skus[0].product.producer
        subtotal = sum(sku.price_vnd * quantities[sku.pk] for sku in producer_skus)
        fee = delivery_fee(producer=producer, commune=checkout.commune, kind=checkout.delivery)
        amounts.append((producer, producer_skus, subtotal, fee))
    checkout.total_vnd = sum(subtotal + fee for _p, _s, subtotal, fee in amounts)
    checkout.save()
    lines: list[OrderLine] = []
    for producer, producer_skus, subtotal, fee in amounts:
        order = Order.objects.create(checkout=checkout, producer=producer, subtotal_vnd=subtotal, delivery_fee_vnd=fee, total_vnd=subtotal + fee)
        lines += OrderLine.objects.bulk_create(
            OrderLine(order=order, sku=sku, sku_code=sku.code, name=sku.product.name, unit=sku.unit,
                      unit_price_vnd=sku.price_vnd, quantity=quantities[sku.pk])
            for sku in producer_skus
        )
        OrderTransition.objects.create(order=order, field=OrderTransition.Field.FULFILMENT, to_state=order.fulfilment_status,
                                       by=checkout.user, note=_("Đặt hàng"))
    return lines


# -- order states -----------------------------------------------------------------------------
def order_transition(*, order: Order, field: str, to: str, by=None, note: str = "") -> Order:
    """Move one of the order's two state fields along its table, with the stock effects that go
    with it (shipped: the sale leaves stock; cancelled: held or shipped units come back).

    Raises TransitionError for a move the table or the order's payment method does not allow."""
    moves, attr = (FULFILMENT_MOVES, "fulfilment_status") if field == OrderTransition.Field.FULFILMENT else (PAYMENT_MOVES, "payment_status")
    if field not in OrderTransition.Field.values:
        raise TransitionError(f"unknown state field {field!r}")
    with transaction.atomic():
        locked = Order.objects.select_for_update(of=("self",)).select_related("checkout").get(pk=order.pk)
        current = getattr(locked, attr)
        if to not in moves.get(current, ()):
            raise TransitionError(_("Đơn %(order)s không thể chuyển từ “%(from)s” sang “%(to)s”.") % {
                "order": locked.checkout.reference, "from": _label(field, current), "to": _label(field, to)})
        _check_guard(locked, field, to)
        _apply_stock(locked, field, to)
        setattr(locked, attr, to)
        if field == OrderTransition.Field.FULFILMENT and to == Order.Fulfilment.CANCELLED:
            locked.cancel_reason = note[:255]
        locked.save()
        actor = by if by is not None and by.is_authenticated else None
        OrderTransition.objects.create(order=locked, field=field, from_state=current, to_state=to, by=actor, note=note[:255])
        dispatches.transition_notices_record(order=locked, field=field, to_state=to)
        transaction.on_commit(lambda: signals.order_state_changed.send(
            sender=Order, order=locked, field=field, from_state=current, to_state=to, by=actor))
    return locked


def _label(field: str, state: str) -> str:
    choices = Order.Fulfilment if field == OrderTransition.Field.FULFILMENT else Order.Payment
    return str(dict(choices.choices).get(state, state))


def _check_guard(order: Order, field: str, to: str) -> None:
    cod = order.checkout.payment_method == PaymentMethod.COD
    P = Order.Payment
    if field == OrderTransition.Field.FULFILMENT:
        if to == Order.Fulfilment.CONFIRMED and not cod and order.payment_status not in (P.AUTHORISED, P.PAID):
            raise TransitionError(_("Đơn %(order)s chưa được thanh toán, chưa thể xác nhận.") % {"order": order.checkout.reference})
        if to == Order.Fulfilment.COMPLETED and order.payment_status != P.PAID:
            raise TransitionError(_("Đơn %(order)s chưa thu tiền, chưa thể hoàn tất.") % {"order": order.checkout.reference})
    elif to == P.PAID and cod and order.fulfilment_status != Order.Fulfilment.DELIVERED:
        raise TransitionError(_("Đơn COD %(order)s chỉ thu tiền khi đã giao hàng.") % {"order": order.checkout.reference})


def _apply_stock(order: Order, field: str, to: str) -> None:
    if field != OrderTransition.Field.FULFILMENT:
        return
    lines = [(line.sku_id, line.quantity) for line in order.lines.all()]
    S = Order.StockState
    if to == Order.Fulfilment.SHIPPED and order.stock_state == S.RESERVED:
        catalog.stock_commit(lines=lines)
        order.stock_state = S.SOLD
    elif to == Order.Fulfilment.CANCELLED and order.stock_state == S.RESERVED:
        catalog.stock_release(lines=lines)
        order.stock_state = S.RELEASED
    elif to == Order.Fulfilment.CANCELLED and order.stock_state == S.SOLD:
        for sku_id, qty in lines:  # the shipment came back: the units are on the shelf again
            catalog.stock_adjust(sku_id=sku_id, delta=qty)
        order.stock_state = S.RELEASED


def order_cash_record(*, order: Order, by=None) -> Order:
    """COD: the cash was collected on delivery; the order becomes paid."""
    if order.checkout.payment_method != PaymentMethod.COD:
        raise TransitionError(_("Chỉ đơn COD mới ghi nhận tiền mặt."))
    return order_transition(order=order, field=OrderTransition.Field.PAYMENT, to=Order.Payment.PAID, by=by, note=_("Đã thu tiền mặt"))


def reservations_release_expired(*, now: dt.datetime | None = None) -> int:
    """Cancel unpaid orders whose reservation has run out, giving their stock back. Idempotent:
    a second run finds nothing. Returns how many orders were cancelled."""
    now = now or timezone.now()
    expired = Order.objects.filter(
        stock_state=Order.StockState.RESERVED, fulfilment_status=Order.Fulfilment.PLACED,
        payment_status=Order.Payment.UNPAID, checkout__reservation_expires_at__lt=now,
    )
    count = 0
    for order_id in list(expired.values_list("pk", flat=True)):
        with transaction.atomic():
            # Re-checked under the row lock: a payment may have arrived since the query above.
            order = expired.select_for_update(of=("self",)).filter(pk=order_id).first()
            if order is not None:
                order_transition(order=order, field=OrderTransition.Field.FULFILMENT, to=Order.Fulfilment.CANCELLED,
                                 note=_("Hết thời gian giữ hàng, chưa nhận được thanh toán"))
                count += 1
    return count
