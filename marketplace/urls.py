from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from cms import views as cms_views
from marketplace import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", include("search.api_urls")),
    path("api/v1/", include("marketplace.api.urls")),
    path("api/v1/", include("marketplace.livestreams.api_urls")),
    path("webhooks/", include("marketplace.payments.webhook_urls")),
    path("webhooks/", include("connectors.urls")),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("t/<str:code>/", cms_views.traceability, name="traceability"),
    path("t/<str:code>/qr.svg", cms_views.batch_qr_svg, name="batch-qr"),
    path("01/<str:gtin>/10/<str:lot>", cms_views.gs1_digital_link, name="gs1-digital-link"),
]

urlpatterns += i18n_patterns(
    path("dang-ky-nha-san-xuat/", cms_views.producer_signup, name="producer-signup"),
    path("dang-ky-nha-san-xuat/xac-minh/", cms_views.producer_signup_verify, name="producer-signup-verify"),
    path("tim-kiem/", include("search.page_urls")),
    path("", include("marketplace.orders.urls")),
    path("", include("marketplace.payments.urls")),
    path("livestream/", include("marketplace.livestreams.urls")),
    path("", include("cms.urls")),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)

if settings.SERVE_MEDIA:
    urlpatterns.insert(0, re_path(r"^media/(?P<path>.*)$", views.media))
