from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Logins and sign-ups: login throttling (django-axes), the client address, cache rate limits
    and one-time codes sent to a phone. No models of its own: axes keeps the login attempts."""

    name = "marketplace.accounts"
    label = "ocop_accounts"
    verbose_name = _("Tài khoản")
