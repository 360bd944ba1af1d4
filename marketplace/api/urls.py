from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

api_patterns = [
    path("products/", views.ProductList.as_view(), name="api-products"),
    path("products/<str:sku>/", views.ProductDetail.as_view(), name="api-product"),
]

urlpatterns = api_patterns + [
    # The schema covers our public API only, not the Wagtail admin's internal API.
    path("schema/", SpectacularAPIView.as_view(patterns=[
        path("api/v1/", include(api_patterns)),
        path("api/v1/", include("search.api_urls")),
        path("api/v1/", include("marketplace.livestreams.api_urls")),
    ]), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
