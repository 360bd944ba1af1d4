from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Trang Chợ OCOP")

    def ready(self):
        from marketplace import pagecache  # noqa: F401 - connects invalidation receivers

        from . import receivers  # noqa: F401
        from . import admin_nonce, spreadsheet_exports

        spreadsheet_exports.install()
        admin_nonce.install()
        _limit_decoded_pixels()


def _limit_decoded_pixels() -> None:
    """Pillow warns above MAX_IMAGE_PIXELS and refuses twice as many: tie it to the upload cap,
    so no image (an old upload, a file put in storage by hand) can take a worker's memory."""
    from django.conf import settings
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS
