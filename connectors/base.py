"""The one interface every platform adapter implements, and the typed values it speaks.

An adapter (connectors/platforms/<slug>.py) only speaks its platform's protocol: auth, signing,
paging, field mapping and quirks. It takes and returns the values below — never models — and
raises only `connectors.exceptions` errors. Everything about bindings, outbox, retries and
stock lives in connectors/services.py and tasks.py.
"""
from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import enum
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .http import ConnectorSession


@dataclasses.dataclass(frozen=True)
class ListingContent:
    """What we want one SKU to look like on a platform (built from the catalogue)."""

    sku: str
    name: str  # product name with the unit, e.g. "Trà mãng cầu — hộp 100g"
    description: str  # plain text
    category_name: str  # our category's name; adapters map it to the platform's leaf by name, else "Khác"
    unit: str
    price_vnd: int  # integer đồng per unit, > 0
    stock: int  # available now, ≥ 0
    weight_gram: int | None
    images: tuple[str, ...]  # absolute URLs
    province_code: str  # 2025 codes, with leading zeros
    commune_code: str
    ocop_stars: int | None  # 3, 4, 5 or None


class RemoteStatus(enum.StrEnum):
    """Our names for the platforms' review states."""

    PENDING = "pending"  # submitted, under review
    LIVE = "live"  # on sale
    REJECTED = "rejected"  # refused or banned; `reason` says why
    DELISTED = "delisted"  # taken down by us (Voso keeps it; the others delete)


@dataclasses.dataclass(frozen=True)
class RemoteListing:
    external_id: str
    status: RemoteStatus
    reason: str = ""  # the platform's rejection/ban text
    price_vnd: int | None = None  # the price as the platform holds it (Voso rounds to 100 đồng)
    updated_at: dt.datetime | None = None  # aware; when the platform reports it (get_status)


class OrderStatus(enum.StrEnum):
    NEW = "new"  # waiting for us to store and acknowledge it
    ACKNOWLEDGED = "acknowledged"
    CANCELLED = "cancelled"  # by the buyer, before or after acknowledgement


@dataclasses.dataclass(frozen=True)
class PlatformOrderLine:
    sku: str  # our SKU as the platform echoes it (outer_id / ma_noi_bo / sku)
    quantity: int
    unit_price_vnd: int
    external_product_id: str = ""


@dataclasses.dataclass(frozen=True)
class PlatformOrder:
    external_id: str
    status: OrderStatus
    created_at: dt.datetime  # aware
    lines: tuple[PlatformOrderLine, ...]
    buyer_name: str = ""
    buyer_phone: str = ""
    address: str = ""
    commune_code: str = ""  # when the platform gives one
    total_vnd: int | None = None


class PlatformAdapter(abc.ABC):
    """One platform, one set of credentials (for 37nghean: one commune's key)."""

    slug: str  # "postmart" | "voso" | "nghean37"
    #: polite request rate for one credential (calls per second), from the platform's document
    rate_per_second: float
    #: the one outgoing HTTP session (connectors.http.ConnectorSession): callers pace every
    #: request of an operation through it (`session.paced`: pages, a token fetch, a retry)
    session: ConnectorSession

    @abc.abstractmethod
    def create(self, content: ListingContent, *, idempotency_key: str) -> RemoteListing:
        """List a new SKU. Must not create a second listing when repeated after a timeout:
        use the platform's idempotency key, or resolve `409` / "đã tồn tại" to the existing id
        (raising AlreadyExists only when the existing id cannot be learned)."""

    @abc.abstractmethod
    def update(self, external_id: str, content: ListingContent) -> RemoteListing:
        """Replace the listing's content (a full replace on every platform)."""

    @abc.abstractmethod
    def set_stock(self, external_id: str, stock: int) -> None:
        """Set available stock. Platforms without a stock call do a full update instead, so
        adapters may need the content: see `supports_stock_only`."""

    supports_stock_only: bool = True

    @abc.abstractmethod
    def delist(self, external_id: str) -> None:
        """Take the listing down (delete, or Voso's delist). A listing already gone is not an error."""

    def relist(self, external_id: str, content: ListingContent, *, idempotency_key: str) -> RemoteListing:
        """Bring a delisted SKU back. Default: create again (platforms that delete on delist)."""
        return self.create(content, idempotency_key=idempotency_key)

    @abc.abstractmethod
    def get_status(self, external_id: str) -> RemoteListing:
        """The listing's review state now. Raises NotFound when the platform no longer has it."""

    @abc.abstractmethod
    def list_orders(self, *, since: dt.datetime, until: dt.datetime) -> Iterator[PlatformOrder]:
        """New and cancelled orders updated (or placed, where that is all the platform offers)
        between `since` and `until` (aware datetimes), every page read."""

    @abc.abstractmethod
    def acknowledge_order(self, external_id: str) -> None:
        """Tell the platform the order is stored (ack / confirm / xác nhận)."""

    #: Whether the platform's seller API has a call to refuse or cancel an order. None of the
    #: three specified platforms has one (PostMart, Voso and 37nghean only list and acknowledge
    #: orders): an order we will not fulfil must be cancelled on the platform's own site.
    supports_order_reject: bool = False

    def reject_order(self, external_id: str, *, reason: str) -> None:
        """Refuse or cancel an order on the platform (only when `supports_order_reject`)."""
        raise NotImplementedError(f"{self.slug}: the platform has no call to reject an order")
