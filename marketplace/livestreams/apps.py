from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivestreamsConfig(AppConfig):
    name = "marketplace.livestreams"
    label = "livestreams"
    verbose_name = _("Phiên livestream")
