from django.urls import path

from . import webhook_views

urlpatterns = [
    path("stripe/", webhook_views.stripe_webhook, name="webhook-stripe"),
    path("bank-transfer/", webhook_views.bank_transfer_webhook, name="webhook-bank-transfer"),
]
