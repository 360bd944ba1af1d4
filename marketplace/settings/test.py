"""Tests: fast hashing, eager-free Celery (tests choose), an in-process cache."""
from .base import *  # noqa: F401,F403
from .base import VAR_DIR

SECRET_KEY = "test-only-not-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
MEDIA_ROOT = VAR_DIR / "test-media"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
VISITS_FLUSH_AT_EXIT = False  # the test database is gone by then
PHONE_MESSAGES_EMAIL = "dien-thoai@localhost"  # the sign-up code reaches mail.outbox
CONNECTOR_ALLOW_PRIVATE_URLS = True  # the fake platform servers listen on 127.0.0.1
# A made-up account so that bank transfer is on in tests (production has no default).
VIETQR_BANK_BIN, VIETQR_ACCOUNT_NUMBER, VIETQR_ACCOUNT_NAME = "970436", "0011000000000", "CHO OCOP DEMO"
