"""Connections entered in the admin."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import registry
from ..models import Connection, Platform

SECRET_FIELDS = ("secret", "webhook_secret")


def connection_save(*, platform: str, account: str = "", values: dict) -> Connection:
    """Create or change the admin connection of one lane. A blank secret keeps the stored one
    (the admin never shows secrets back, so a blank field means 'unchanged').

    Refused (ValueError) for a lane set by the environment, which wins."""
    if (platform, account) in registry.env_lane_keys():
        raise ValueError("set by the environment")
    if (platform == Platform.NGHEAN37) != (account.isdigit() and len(account) == 5):
        raise ValidationError(_("Khóa 37nghean cần mã xã 5 chữ số; các sàn khác không dùng mã xã."))
    with transaction.atomic():
        row, _created = Connection.objects.select_for_update().get_or_create(platform=platform, account=account)
        for name, value in values.items():
            if name in SECRET_FIELDS and not value:
                continue
            setattr(row, name, value)
        row.full_clean()
        row.save()
        transaction.on_commit(registry.adapters_reset)
        transaction.on_commit(_reconcile_later)
    return row


def _reconcile_later() -> None:
    from ..tasks import sync_listings

    sync_listings.delay()
