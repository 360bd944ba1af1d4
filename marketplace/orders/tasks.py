import logging

from celery import shared_task

from marketplace import notifications

from . import notices, services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def reservations_release_expired() -> int:
    """Every minute: unpaid card/transfer orders past their reservation are cancelled, stock freed."""
    count = services.reservations_release_expired()
    if count:
        logger.info("orders cancelled on reservation expiry: %s", count)
    return count


# Notifications: retried with backoff when a send failed; what was sent is not sent again. Each
# is recorded as a notice dispatch in the transaction of its order change and enqueued after the
# commit (see dispatches): the beat sweep runs it again if it was never enqueued or its message
# was lost with a worker, until it finishes and clears its record.
NOTIFY_OPTIONS = {"acks_late": True, "autoretry_for": (notices.NotificationFailed,), "retry_backoff": 30,
                  "retry_backoff_max": 1800, "max_retries": 8}


@shared_task(**NOTIFY_OPTIONS)
def checkout_placed_notify(checkout_id: int, dispatch_key: str = "") -> int:
    sent = notices.checkout_placed_notify(checkout_id=checkout_id)
    notifications.dispatch_done(key=dispatch_key)
    return sent


@shared_task(**NOTIFY_OPTIONS)
def order_paid_notify(order_id: int, dispatch_key: str = "") -> int:
    sent = notices.order_paid_notify(order_id=order_id)
    notifications.dispatch_done(key=dispatch_key)
    return sent


@shared_task(**NOTIFY_OPTIONS)
def order_state_notify(order_id: int, to_state: str, dispatch_key: str = "") -> int:
    sent = notices.order_state_notify(order_id=order_id, to_state=to_state)
    notifications.dispatch_done(key=dispatch_key)
    return sent
