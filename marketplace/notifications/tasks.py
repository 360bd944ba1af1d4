"""Sending and sweeping. Both are idempotent: a second run finds the message sent, or nothing due."""
from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="marketplace.notifications.tasks.send", acks_late=True)
def send(notification_id: int) -> bool:
    return services.notification_send(notification_id=notification_id)


@shared_task(name="marketplace.notifications.tasks.sweep", acks_late=True)
def sweep() -> dict:
    """Every minute: messages and notice tasks still pending past their time go again."""
    return {"notifications": services.notifications_sweep(), "dispatches": services.dispatches_sweep()}
