from django.urls import path

from . import api

urlpatterns = [
    path("livestreams/", api.LiveSessionList.as_view(), name="api-livestreams"),
    path("livestreams/<int:pk>/", api.LiveSessionDetail.as_view(), name="api-livestream"),
]
