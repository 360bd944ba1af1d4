"""Mounted under `webhooks/` (see marketplace/urls.py): `/webhooks/postmart/`."""
from django.urls import path

from . import views

urlpatterns = [
    path("postmart/", views.postmart_webhook, name="connectors_postmart_webhook"),
]
