"""Local development and the embedded demo: debug on, an ephemeral secret if none is given."""
import os

from .base import *  # noqa: F401,F403
from .base import env_bool, env_list

DEBUG = os.environ.get("DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True  # serve static files without collectstatic in the embedded setup
# The console shows e-mails, so phone messages (sign-up codes) are readable there too.
PHONE_MESSAGES_EMAIL = os.environ.get("PHONE_MESSAGES_EMAIL", "dien-thoai@localhost")
CONNECTOR_ALLOW_PRIVATE_URLS = env_bool("CONNECTOR_ALLOW_PRIVATE_URLS", True)  # the demo's fake platforms run locally

# The demo's bank account (Vietcombank's BIN, a made-up number): bank transfer works out of the
# box here; production has no default and keeps transfer off until its own account is set.
VIETQR_BANK_BIN = os.environ.get("VIETQR_BANK_BIN", "970436")
VIETQR_ACCOUNT_NUMBER = os.environ.get("VIETQR_ACCOUNT_NUMBER", "0011000000000")
VIETQR_ACCOUNT_NAME = os.environ.get("VIETQR_ACCOUNT_NAME", "CHO OCOP DEMO")
