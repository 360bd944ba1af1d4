from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = _("Tìm kiếm")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import analysis, receivers
        from .models import Synonym

        receivers.connect()
        post_save.connect(analysis.synonyms_changed, sender=Synonym, dispatch_uid="search-synonyms-saved")
        post_delete.connect(analysis.synonyms_changed, sender=Synonym, dispatch_uid="search-synonyms-deleted")
