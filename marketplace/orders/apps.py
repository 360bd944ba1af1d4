from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "marketplace.orders"
    label = "orders"
    verbose_name = _("Đơn hàng")

    def ready(self) -> None:
        # The Celery app autodiscovers only the catalogue's tasks; importing ours here registers
        # them in every process that sets Django up (web, worker, beat).
        from . import tasks  # noqa: F401
