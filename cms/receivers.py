"""Wagtail page events → catalogue services; Wagtail's kept uploads → re-encoded images."""
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import pre_save
from django.dispatch import receiver
from wagtail.images import get_image_model
from wagtail.models import UploadedFile
from wagtail.signals import page_published, page_unpublished

from marketplace.catalog import signals as catalog_signals

from . import images, services
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


@receiver(pre_save, sender=UploadedFile)
def on_upload_kept_for_later(sender, instance: UploadedFile, **kwargs):
    """Wagtail's multiple upload keeps the raw file when a field other than the file fails
    (AddView stores it as an UploadedFile) and later copies it into an image outside the image
    form (CreateFromUploadedImageView.save_object): re-encode it before it first reaches storage,
    so neither the waiting file nor the image built from it keeps EXIF/GPS."""
    if not instance.file or instance.file._committed:
        return
    if instance.for_content_type_id != ContentType.objects.get_for_model(get_image_model()).pk:
        return
    instance.file = images.image_reencode(upload=instance.file.file)
