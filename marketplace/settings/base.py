"""Settings shared by every environment.

Every secret and URL comes from the environment (see README "Settings"). Nothing here is a
loose default for production: `production.py` refuses to start without its required variables.
"""
import datetime as dt
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from .security_headers import PERMISSIONS_POLICY as PERMISSIONS_POLICY_DEFAULT
from .security_headers import content_security_policy

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
DEBUG = False

INSTALLED_APPS = [
    "marketplace.catalog",
    "marketplace.orders",
    "marketplace.payments",
    "marketplace.livestreams",
    "marketplace.notifications",
    "marketplace.accounts",
    "connectors",
    "cms",
    "search",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "phonenumber_field",
    "csp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the page cache, so that a cached page gets its headers on every hit too (public
    # pages use no nonce: their scripts are files).
    "csp.middleware.CSPMiddleware",
    "marketplace.content_security.CurrentRequestMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "marketplace.pagecache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "cms.middleware.ListingPublishGuardMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the timeout waits out brief locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["CACHE_URL"]}
        if os.environ.get("CACHE_URL", "").startswith("redis")
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Vietnamese first, English available.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static_src"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGIN_URL = "/admin/login/"

# --- accounts: login throttling, sign-up limits, one-time codes ---
# Every login goes through authenticate(); axes' backend comes first and refuses while locked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# A username is locked after N failures from anywhere, and an address after N failures on any
# usernames (password spraying), for the cool-off; an operator unlocks at /admin/ocop/logins/.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "30")))
AXES_RESET_ON_SUCCESS = False  # a success would wipe the address's failures against other usernames
AXES_LOCKOUT_CALLABLE = "marketplace.accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "marketplace.accounts.clientip.client_ip"
AXES_ENABLE_ADMIN = False  # Django's admin is not served; the Wagtail view lists and unlocks
# Behind reverse proxies that append to X-Forwarded-For, how many of them: the client is that
# many addresses from the right. 0 (default): REMOTE_ADDR, the header is ignored.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# Producer sign-up: codes sent per address and per phone number in an hour; a code's life and tries.
SIGNUP_CODES_PER_IP_PER_HOUR = int(os.environ.get("SIGNUP_CODES_PER_IP_PER_HOUR", "10"))
SIGNUP_CODES_PER_PHONE_PER_HOUR = int(os.environ.get("SIGNUP_CODES_PER_PHONE_PER_HOUR", "3"))
PHONE_CODE_MINUTES = int(os.environ.get("PHONE_CODE_MINUTES", "10"))
PHONE_CODE_MAX_ATTEMPTS = int(os.environ.get("PHONE_CODE_MAX_ATTEMPTS", "5"))
# Until an SMS or Zalo channel exists, messages for a phone go by e-mail to this address (an
# e-mail-to-SMS gateway, or a mailbox whose staff call the producer); empty: not sent.
PHONE_MESSAGES_EMAIL = os.environ.get("PHONE_MESSAGES_EMAIL", "")
# Livestream reminder sign-ups: confirmation e-mails per address per hour, and a link's life.
LIVESTREAM_SUBSCRIBE_PER_IP_PER_HOUR = int(os.environ.get("LIVESTREAM_SUBSCRIBE_PER_IP_PER_HOUR", "20"))
LIVESTREAM_CONFIRM_DAYS = int(os.environ.get("LIVESTREAM_CONFIRM_DAYS", "3"))
# --- end accounts ---
# One small server serves uploaded photos itself; set SERVE_MEDIA=0 when a web server or CDN
# serves MEDIA_ROOT at /media/.
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)

# Wagtail
WAGTAIL_SITE_NAME = "Chợ OCOP"
WAGTAILADMIN_BASE_URL = os.environ.get("SITE_BASE_URL", "http://127.0.0.1:8000")
SITE_BASE_URL = WAGTAILADMIN_BASE_URL
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_FORMAT_CONVERSIONS = {"png": "webp", "jpeg": "webp"}
# Uploads: a photo needs far fewer than Wagtail's default 128 million pixels, and decoding costs
# memory by pixels, not by file size. Every upload is re-encoded without metadata (cms.images);
# Pillow refuses to decode more than twice the cap anywhere (renditions included).
WAGTAILIMAGES_MAX_IMAGE_PIXELS = int(os.environ.get("WAGTAILIMAGES_MAX_IMAGE_PIXELS", "40000000"))
WAGTAILIMAGES_MAX_UPLOAD_SIZE = int(os.environ.get("WAGTAILIMAGES_MAX_UPLOAD_SIZE", str(10 * 1024 * 1024)))
WAGTAILIMAGES_IMAGE_FORM_BASE = "cms.images.ImageForm"
WAGTAILDOCS_MAX_UPLOAD_SIZE = int(os.environ.get("WAGTAILDOCS_MAX_UPLOAD_SIZE", str(20 * 1024 * 1024)))
# Documents are the communes' paperwork, never pages: an HTML or SVG "document" served from our
# origin would be stored XSS. Only these extensions are accepted, every document is served
# through Wagtail's view (also with a storage that has URLs) as a download with a no-script CSP,
# and /media/documents/ is not served (marketplace.views.media).
WAGTAILDOCS_EXTENSIONS = ["pdf", "doc", "docx", "xls", "xlsx", "ods", "odt", "csv", "txt", "jpg", "jpeg", "png"]
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_INLINE_CONTENT_TYPES: list[str] = []
WAGTAIL_MODERATION_ENABLED = True
WAGTAIL_WORKFLOW_ENABLED = True

# REST API
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "marketplace.api.pagination.ProductPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # No HTTP Basic: the API is public, and Basic would be a password-guessing door beside the
    # throttled login page (a wrong password answered 401, a right one 200).
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "EXCEPTION_HANDLER": "marketplace.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Chợ OCOP API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Its check would walk every URL, the Wagtail admin's internal API included; the schema
    # endpoint covers /api/v1/ only, and the API tests validate it.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
}

PHONENUMBER_DEFAULT_REGION = "VN"

# Product search: "database" (SQLite FTS5 / PostgreSQL full-text) or "elasticsearch".
SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "database")
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "")

# Maps: the tile URL is the operator's choice; without tiles or JavaScript the list remains.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "© OpenStreetMap")

# OCOP rules the operator may change.
OCOP_EXPIRED_UNPUBLISH = env_bool("OCOP_EXPIRED_UNPUBLISH", True)
OCOP_EXPIRY_WARNING_DAYS = int(os.environ.get("OCOP_EXPIRY_WARNING_DAYS", "60"))

# Orders: how long stock stays reserved for a checkout waiting for its payment (COD orders
# keep it until shipped or cancelled), and the operator's flat delivery fee per zone, in đồng,
# by where the buyer is against the producer (a commune pickup point costs nothing).
ORDER_RESERVATION_MINUTES_CARD = int(os.environ.get("ORDER_RESERVATION_MINUTES_CARD", "15"))
ORDER_RESERVATION_HOURS_TRANSFER = int(os.environ.get("ORDER_RESERVATION_HOURS_TRANSFER", "24"))
ORDER_DELIVERY_FEES_VND = {
    "pickup": int(os.environ.get("ORDER_DELIVERY_FEE_PICKUP_VND", "0")),
    "same_commune": int(os.environ.get("ORDER_DELIVERY_FEE_SAME_COMMUNE_VND", "15000")),
    "same_province": int(os.environ.get("ORDER_DELIVERY_FEE_SAME_PROVINCE_VND", "25000")),
    "other_province": int(os.environ.get("ORDER_DELIVERY_FEE_OTHER_PROVINCE_VND", "40000")),
}

# Celery: an embedded filesystem broker (in CELERY_BROKER_DIR) unless CELERY_BROKER_URL names a server.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
_BROKER_DIR = Path(os.environ.get("CELERY_BROKER_DIR", "") or VAR_DIR / "broker")
# A message a worker took but did not acknowledge goes back to the queue after this long on
# Redis (a worker killed outright). It must exceed the longest countdown a task is given (retry
# back-offs reach 30 minutes), or a delayed task would be delivered twice.
CELERY_VISIBILITY_TIMEOUT_SECONDS = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT_SECONDS", "7200"))
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS}
)
for _key in ("data_folder_in", "processed_folder", "control_folder"):
    if _key in CELERY_BROKER_TRANSPORT_OPTIONS:  # the filesystem transport expects its folders to exist
        Path(CELERY_BROKER_TRANSPORT_OPTIONS[_key]).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
# A task is acknowledged when it has finished, not when it was received, and one killed with its
# worker goes back to the queue (Redis, RabbitMQ): every task that changes state is idempotent.
# A worker holds one message per process at a time, so a crash strands no more than that. The
# embedded filesystem broker deletes a message as it is handed out, so work that must not be lost
# also has a durable row in the database, swept by beat (search's IndexOutbox, Notification).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "ocop-certificates-expire": {
        "task": "marketplace.catalog.tasks.certificates_expire",
        "schedule": crontab(hour=0, minute=5),  # just after midnight, Vietnam time
    },
    "orders-reservations-release-expired": {
        "task": "marketplace.orders.tasks.reservations_release_expired",
        "schedule": 60.0,  # card reservations last 15 minutes: a minute's lag is fine
    },
}

# Search changes recorded in the outbox and still there this long (their indexing task was lost)
# are applied by the beat sweep.
SEARCH_OUTBOX_SWEEP_AFTER_SECONDS = int(os.environ.get("SEARCH_OUTBOX_SWEEP_AFTER_SECONDS", "120"))
CELERY_BEAT_SCHEDULE["search-outbox-sweep"] = {
    "task": "search.tasks.sweep",
    "schedule": 60.0,
}

# Notifications recorded for sending (and notice tasks recorded before they are enqueued) that
# are still pending this long are enqueued again by the sweep (their task was lost with a
# worker); a failed send is retried after a back-off, at most NOTIFICATIONS_MAX_ATTEMPTS times.
NOTIFICATIONS_SWEEP_AFTER_SECONDS = int(os.environ.get("NOTIFICATIONS_SWEEP_AFTER_SECONDS", "300"))
NOTIFICATIONS_RETRY_BASE_SECONDS = int(os.environ.get("NOTIFICATIONS_RETRY_BASE_SECONDS", "60"))
NOTIFICATIONS_RETRY_MAX_SECONDS = int(os.environ.get("NOTIFICATIONS_RETRY_MAX_SECONDS", "3600"))
NOTIFICATIONS_MAX_ATTEMPTS = int(os.environ.get("NOTIFICATIONS_MAX_ATTEMPTS", "8"))
CELERY_BEAT_SCHEDULE["notifications-sweep"] = {
    "task": "marketplace.notifications.tasks.sweep",
    "schedule": 60.0,
}

# E-mail: printed to the console unless the operator names a backend and server.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Chợ OCOP <khong-tra-loi@cho-ocop.vn>")

# --- payments (Stripe off until STRIPE_SECRET_KEY is set; VietQR and COD need no server) ---
# Card payments are offered only when both Stripe keys are set; STRIPE_API_BASE may point at a
# local fake (localstripe, stripe-mock). Secrets have no default.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_WEBHOOK_TOLERANCE = int(os.environ.get("STRIPE_WEBHOOK_TOLERANCE", "300"))  # seconds
STRIPE_TIMEOUT_SECONDS = float(os.environ.get("STRIPE_TIMEOUT_SECONDS", "10"))
# Bank transfer notifications (/webhooks/bank-transfer/) are refused until the secret is set.
BANK_TRANSFER_WEBHOOK_SECRET = os.environ.get("BANK_TRANSFER_WEBHOOK_SECRET", "")
# A bank statement CSV uploaded in the admin is read whole: months of transfers fit in far less.
PAYMENTS_STATEMENT_MAX_UPLOAD_SIZE = int(os.environ.get("PAYMENTS_STATEMENT_MAX_UPLOAD_SIZE", str(5 * 1024 * 1024)))
# The account buyers transfer to (VietQR / NAPAS 247). No default: bank transfer stays off, and
# says so at checkout and in the admin, until the operator's own account is set. (The dev
# settings and the demo use a visible demo account.)
VIETQR_BANK_BIN = os.environ.get("VIETQR_BANK_BIN", "")
VIETQR_ACCOUNT_NUMBER = os.environ.get("VIETQR_ACCOUNT_NUMBER", "")
VIETQR_ACCOUNT_NAME = os.environ.get("VIETQR_ACCOUNT_NAME", "")
# --- end payments ---

# --- connectors (each platform off until its variables are set) ---
# A platform is on when all its variables are set; the admin may add further lanes (e.g. more
# communes' 37nghean keys) — a lane set here wins over the admin (see connectors/registry.py).
CONNECTOR_POSTMART = {
    "url": os.environ.get("CONNECTOR_POSTMART_URL", ""),
    "client_id": os.environ.get("CONNECTOR_POSTMART_CLIENT_ID", ""),
    "client_secret": os.environ.get("CONNECTOR_POSTMART_CLIENT_SECRET", ""),
    "webhook_secret": os.environ.get("CONNECTOR_POSTMART_WEBHOOK_SECRET", ""),
}
CONNECTOR_VOSO = {
    "url": os.environ.get("CONNECTOR_VOSO_URL", ""),
    "app_key": os.environ.get("CONNECTOR_VOSO_APP_KEY", ""),
    "app_secret": os.environ.get("CONNECTOR_VOSO_APP_SECRET", ""),
    "shop_id": os.environ.get("CONNECTOR_VOSO_SHOP_ID", ""),
}
CONNECTOR_NGHEAN37 = {
    "url": os.environ.get("CONNECTOR_NGHEAN37_URL", ""),
    "api_keys": os.environ.get("CONNECTOR_NGHEAN37_API_KEYS", ""),  # commune_code:key,commune_code:key
}
# Every platform call: (connect, read) timeouts in seconds.
# Platform base URLs must point outside our own network (no loopback, link-local, private,
# reserved addresses): checked when an operator saves one and again on every call. Tests and the
# local demo, whose fake platforms listen on 127.0.0.1, turn this on.
CONNECTOR_ALLOW_PRIVATE_URLS = env_bool("CONNECTOR_ALLOW_PRIVATE_URLS", False)
CONNECTOR_HTTP_TIMEOUT = (
    float(os.environ.get("CONNECTOR_HTTP_CONNECT_TIMEOUT_SECONDS", "3.05")),
    float(os.environ.get("CONNECTOR_HTTP_READ_TIMEOUT_SECONDS", "15")),
)
# Review states are read at most once per interval per listing (PostMart also pushes them by webhook).
CONNECTOR_POLL_INTERVAL_SECONDS = int(os.environ.get("CONNECTOR_POLL_INTERVAL_SECONDS", "900"))
# A binding claimed by a worker that died is taken up again after this long.
CONNECTOR_LEASE_SECONDS = int(os.environ.get("CONNECTOR_LEASE_SECONDS", "300"))
CONNECTOR_RETRY_BASE_SECONDS = float(os.environ.get("CONNECTOR_RETRY_BASE_SECONDS", "30"))
CONNECTOR_RETRY_MAX_SECONDS = float(os.environ.get("CONNECTOR_RETRY_MAX_SECONDS", "3600"))
# Orders are read again from a little before the last successful import (late updates, clock skew).
CONNECTOR_ORDER_OVERLAP_MINUTES = int(os.environ.get("CONNECTOR_ORDER_OVERLAP_MINUTES", "30"))
CONNECTOR_ORDER_FIRST_IMPORT_DAYS = int(os.environ.get("CONNECTOR_ORDER_FIRST_IMPORT_DAYS", "3"))
# Each credential sends at most the platform's published number of calls per rolling second,
# counted over one second plus this margin (absorbs network jitter). Off only for benchmarks
# against platforms that lift their limits.
CONNECTOR_RATE_LIMITS = env_bool("CONNECTOR_RATE_LIMITS", True)
CONNECTOR_RATE_MARGIN_SECONDS = float(os.environ.get("CONNECTOR_RATE_MARGIN_SECONDS", "0.03"))
# Rate limiter shared by all workers: Redis when CONNECTOR_REDIS_URL (or a redis CACHE_URL or
# broker) names one, else a table in the database (SQLite and PostgreSQL).
CONNECTOR_REDIS_URL = os.environ.get("CONNECTOR_REDIS_URL") or next(
    (url for url in (os.environ.get("CACHE_URL", ""), CELERY_BROKER_URL) if url.startswith("redis")), ""
)
# When an imported order names an unknown SKU or more than the stock, it is stored for a person
# to handle and not acknowledged on the platform (acknowledging promises to ship).
CELERY_BEAT_SCHEDULE["connectors-drain"] = {
    "task": "connectors.tasks.drain",  # retries that came due, review states to poll, anything left in the outbox
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["connectors-sync-listings"] = {
    "task": "connectors.tasks.sync_listings",  # reconcile: listings missing or out of date get work
    "schedule": crontab(minute=17),
}
CELERY_BEAT_SCHEDULE["connectors-import-orders"] = {
    "task": "connectors.tasks.import_orders",
    "schedule": 120.0,
}
# --- end connectors ---

# --- livestreams ---
# Reminders before each occurrence, in minutes (default 24 h and 15 min); a session's limits.
LIVESTREAM_REMINDER_MINUTES = [int(m) for m in env_list("LIVESTREAM_REMINDER_MINUTES", "1440,15")]
LIVESTREAM_MAX_HOURS = int(os.environ.get("LIVESTREAM_MAX_HOURS", "12"))
LIVESTREAM_MAX_OCCURRENCES = int(os.environ.get("LIVESTREAM_MAX_OCCURRENCES", "500"))
# Reminders are claimed and sent in batches; a claim not stamped sent within the lease (a worker
# died) is taken over by the next run.
LIVESTREAM_REMINDER_BATCH = int(os.environ.get("LIVESTREAM_REMINDER_BATCH", "500"))
LIVESTREAM_REMINDER_LEASE_SECONDS = int(os.environ.get("LIVESTREAM_REMINDER_LEASE_SECONDS", "600"))
# Live units are held this many seconds before the window opens (the beat runs every minute).
LIVESTREAM_HOLD_LEAD_SECONDS = int(os.environ.get("LIVESTREAM_HOLD_LEAD_SECONDS", "90"))
# An order counts for a session reached through its link (?live=<occurrence>) until this long
# after the occurrence ends.
LIVESTREAM_LINK_ATTRIBUTION_HOURS = int(os.environ.get("LIVESTREAM_LINK_ATTRIBUTION_HOURS", "24"))
CELERY_BEAT_SCHEDULE["livestreams-windows"] = {
    "task": "marketplace.livestreams.tasks.windows_tick",  # holds at window start, returns at the end
    "schedule": 30.0,
}
CELERY_BEAT_SCHEDULE["livestreams-reminders"] = {
    "task": "marketplace.livestreams.tasks.reminders_dispatch",
    "schedule": 60.0,
}
# --- end livestreams ---

# --- news and dashboards ---
# Articles per page on a commune's news list; the day of the month (Vietnam time) from which
# commune editors are reminded when no promotion article is published yet that month.
NEWS_PAGE_SIZE = int(os.environ.get("NEWS_PAGE_SIZE", "10"))
NEWS_REMINDER_DAY = int(os.environ.get("NEWS_REMINDER_DAY", "20"))
# Page visit counts are buffered in each web process and written every N visits or T seconds.
VISITS_FLUSH_EVERY = int(os.environ.get("VISITS_FLUSH_EVERY", "500"))
VISITS_FLUSH_SECONDS = float(os.environ.get("VISITS_FLUSH_SECONDS", "30"))
CELERY_BEAT_SCHEDULE["cms-scheduled-publish"] = {
    "task": "cms.tasks.scheduled_publish",
    "schedule": 60.0,  # go_live_at / expire_at are honoured within a minute
}
CELERY_BEAT_SCHEDULE["cms-promotion-reminders"] = {
    "task": "cms.tasks.promotion_reminders",
    # 08:00 Vietnam time from the 20th: a beat that was down on the 20th catches up; the log
    # row keeps it to one reminder per commune and month.
    "schedule": crontab(hour=8, minute=0, day_of_month="20-31"),
}
# --- end news and dashboards ---

# --- security headers ---
# Content-Security-Policy and Permissions-Policy on every response (see security_headers.py);
# CSP_REPORT_URI, when set, receives the browsers' violation reports.
CONTENT_SECURITY_POLICY = content_security_policy(
    map_tile_url=MAP_TILE_URL, stripe_api_base=STRIPE_API_BASE, report_uri=os.environ.get("CSP_REPORT_URI", ""))
PERMISSIONS_POLICY = PERMISSIONS_POLICY_DEFAULT
# The admin would otherwise fetch Wagtail's release feed and Gravatar pictures from other sites.
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# --- end security headers ---

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "modelsearch": {"level": "WARNING"},
    },
}
