"""Celery tasks of the CMS: beat tasks of the news area (scheduled publishing every minute,
promotion reminders daily from the 20th, Vietnam time) and the indexing of imported pages."""
import logging

from celery import shared_task

from . import page_bookkeeping
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



@shared_task(acks_late=True)
def index_imported_pages(page_ids: list[int]) -> int:
    """After an import: Wagtail's admin search and reference index for its new pages."""
    return page_bookkeeping.imported_pages_index(page_ids=page_ids)
