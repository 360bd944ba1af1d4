import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def reservations_release_expired() -> int:
    """Every minute: unpaid card/transfer orders past their reservation are cancelled, stock freed."""
    count = services.reservations_release_expired()
    if count:
        logger.info("orders cancelled on reservation expiry: %s", count)
    return count
