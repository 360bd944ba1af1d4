"""Connector services (writes). Views, tasks, commands and receivers call these.

- outbox: `outbox_record` (in the catalogue's transaction), `outbox_fold`, `reconcile`, `opt_out_set`
- drain: `drain` (claim → call → record, per lane within its rate limit)
- orders: `orders_import`, `order_receive`, `order_cancel`, `orders_acknowledge_pending`
- webhooks: `postmart_webhook_handle`
- connections: `connection_save` (admin)
"""
from .. import registry
from .connections import connection_save
from .drain import DrainSummary, drain
from .orders import ImportSummary, order_cancel, order_receive, orders_acknowledge_pending, orders_import
from .outbox import opt_out_set, outbox_fold, outbox_record, outbox_record_products, reconcile
from .webhooks import WebhookRejected, postmart_webhook_handle

__all__ = [
    "DrainSummary", "ImportSummary", "WebhookRejected", "connection_save", "drain", "opt_out_set", "order_cancel", "order_receive",
    "orders_acknowledge_pending", "orders_import", "outbox_fold", "outbox_record", "outbox_record_products",
    "postmart_webhook_handle", "reconcile", "sync_listings",
]


def sync_listings(*, platform: str | None = None, include_waiting: bool = True, max_seconds: float | None = None) -> dict:
    """Reconcile, then do all pending work now (the command and the periodic task)."""
    queued = reconcile(lanes=registry.lanes(platform=platform))
    summary = drain(platform=platform, include_waiting=include_waiting, max_seconds=max_seconds)
    return {"queued": queued, **summary.as_dict()}

