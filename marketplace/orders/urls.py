from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("gio-hang/", views.cart, name="cart"),
    path("gio-hang/them/", views.cart_add, name="cart-add"),
    path("thanh-toan/", views.checkout, name="checkout"),
    path("don-hang/<str:token>/", views.order_detail, name="order"),
]
