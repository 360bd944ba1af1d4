# /api/v1/search/ and its autocomplete endpoint.
from django.urls import path

from . import views

urlpatterns = [
    path("search/", views.api_search, name="api-search"),
    path("search/autocomplete/", views.api_autocomplete, name="api-search-autocomplete"),
]
