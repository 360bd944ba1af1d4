import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def certificates_expire() -> dict:
    """Daily: expired certificates drop the OCOP badge and, by setting, delist the product."""
    expired, unpublished = services.certificates_expire()
    logger.info("OCOP certificates expired: %s, products unpublished: %s", expired, unpublished)
    return {"expired": expired, "unpublished": unpublished}
