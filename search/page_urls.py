# The server-rendered search page under /tim-kiem/.
from django.urls import path

from . import views

urlpatterns = [path("", views.search_page, name="search-page")]
