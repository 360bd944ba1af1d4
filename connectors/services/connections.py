"""Connections entered in the admin."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from marketplace import access

from .. import registry
from ..http import url_is_allowed
from ..models import Connection, Platform

SECRET_FIELDS = ("secret", "webhook_secret")


def base_url_validate(url: str) -> None:
    """A platform address must be reachable from outside: never loopback, link-local, private or
    reserved (unless CONNECTOR_ALLOW_PRIVATE_URLS), and its host name must resolve."""
    if url and not url_is_allowed(url):
        raise ValidationError(_("Địa chỉ API phải là một địa chỉ công khai trên Internet: không được trỏ vào máy này, "
                                "mạng nội bộ hay địa chỉ dành riêng, và tên miền phải phân giải được."), code="private_url")


def connection_save(*, platform: str, account: str = "", values: dict, by=None) -> Connection:
    """Create or change the admin connection of one lane. A blank secret keeps the stored one
    (the admin never shows secrets back, so a blank field means 'unchanged'). The base URL is
    only set by an operator (`by`; None for the deployment's own commands) and is checked.

    Refused (ValueError) for a lane set by the environment, which wins."""
    if (platform, account) in registry.env_lane_keys():
        raise ValueError("set by the environment")
    if "base_url" in values and by is not None and not access.is_operator(by):
        raise PermissionDenied("only operators set a platform's address")
    base_url_validate(values.get("base_url", ""))
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
