from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Trang Chợ OCOP")

    def ready(self):
        from marketplace import pagecache  # noqa: F401 - connects invalidation receivers

        from . import receivers  # noqa: F401
        from . import spreadsheet_exports

        spreadsheet_exports.install()
