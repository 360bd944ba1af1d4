from django.urls import path

from . import views

app_name = "livestreams"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.occurrence, name="occurrence"),
    path("l/<int:pk>/", views.link, name="link"),
    path("huy-nhac-lich/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("xac-nhan-nhac-lich/<str:token>/", views.confirm, name="confirm"),
    path("lich/xa/<str:code>.ics", views.commune_calendar, name="commune-ics"),
    path("lich/nha-san-xuat/<int:pk>.ics", views.producer_calendar, name="producer-ics"),
]
