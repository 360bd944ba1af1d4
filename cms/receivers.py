"""Wagtail page events → catalogue services."""
from django.dispatch import receiver
from wagtail.signals import page_published, page_unpublished

from marketplace.catalog import signals as catalog_signals

from . import services
from .models import ProductPage


@receiver(page_published, sender=ProductPage)
def on_listing_published(sender, instance: ProductPage, **kwargs):
    services.listing_publish(page=instance)


@receiver(page_unpublished, sender=ProductPage)
def on_listing_unpublished(sender, instance: ProductPage, **kwargs):
    services.listing_unpublish(page=instance)


@receiver(catalog_signals.product_unpublished)
def on_product_unpublished(sender, product_ids, **kwargs):
    """A product delisted by the catalogue (e.g. its certificate expired) leaves the site too."""
    for page in ProductPage.objects.live().filter(product_id__in=product_ids):
        page.unpublish(log_action=True)
