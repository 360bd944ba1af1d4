"""Connector tasks: take ids or slugs, are idempotent (a second run finds nothing to do) and
acknowledge late, so a task lost with its worker runs again; claimed work a dead worker left
behind is taken up again after its lease (see services.drain)."""
from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from . import registry, services

# A task does at most this much work; what is left waits for the next run (beat, or the next change).
TASK_SECONDS = 240
OPTIONS = {"acks_late": True, "autoretry_for": (DatabaseError,), "retry_backoff": True, "retry_jitter": True, "max_retries": 5}


@shared_task(name="connectors.tasks.drain", **OPTIONS)
def drain(platform: str | None = None) -> dict:
    """Outbox rows, due retries, review states to poll."""
    return services.drain(platform=platform, max_seconds=TASK_SECONDS).as_dict()


@shared_task(name="connectors.tasks.sync_listings", **OPTIONS)
def sync_listings(platform: str | None = None) -> dict:
    """Reconcile (listings missing or out of date get work), then drain what is due."""
    return services.sync_listings(platform=platform, include_waiting=False, max_seconds=TASK_SECONDS)


@shared_task(name="connectors.tasks.import_orders", **OPTIONS)
def import_orders(platform: str | None = None) -> dict:
    result = {}
    for lane in registry.lanes(platform=platform):
        summary = services.orders_import(lane=lane)
        result[lane.key] = {"stored": summary.stored, "needs_attention": summary.needs_attention,
                            "cancelled": summary.cancelled, "errors": len(summary.errors)}
    return result


@shared_task(name="connectors.tasks.acknowledge_orders", **OPTIONS)
def acknowledge_orders(platform: str, account: str = "") -> int:
    lane = registry.lane_get(platform=platform, account=account)
    return services.orders_acknowledge_pending(lane=lane) if lane else 0
