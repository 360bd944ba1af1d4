"""Beat tasks of the news area: scheduled publishing every minute, promotion reminders daily
from the 20th (Vietnam time)."""
import logging

from celery import shared_task

from .articles import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def scheduled_publish() -> dict:
    """Every minute: publish what is due (`go_live_at`) and unpublish what has expired."""
    result = services.scheduled_publish_run()
    if any(result.values()):
        logger.info("scheduled publishing: %s", result)
    return result


@shared_task(acks_late=True)
def promotion_reminders() -> int:
    """Daily from the 20th: remind communes without a promotion article this month (once each)."""
    reminded = services.promotion_reminders_send()
    if reminded:
        logger.info("promotion reminders sent to %s communes", reminded)
    return reminded

