from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("thanh-toan/<str:token>/", views.pay, name="pay"),
    path("thanh-toan/<str:token>/the/", views.card_pay, name="card-pay"),
    path("thanh-toan/<str:token>/ket-qua/", views.result, name="result"),
    path("thanh-toan/<str:token>/qr.svg", views.qr_image, name="qr"),
    path("thanh-toan/<str:token>/huy/", views.abandon, name="abandon"),
]
