import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.dev")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    ["marketplace.catalog", "marketplace.orders", "marketplace.payments", "marketplace.livestreams", "marketplace.notifications",
     "search", "connectors", "cms"]
)
