"""Hosts and the identity check the 2025 e-commerce law asks for before anyone goes live."""
from __future__ import annotations

import re

from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Host
from .errors import LiveError

ID_NUMBER = re.compile(r"^(\d{12}|\d{9}|[A-Z]\d{7})$")


def host_save(*, host: Host) -> Host:
    """Validate and save a host; a changed ID number needs verifying again."""
    host.id_number = re.sub(r"\s", "", host.id_number or "").upper()
    if not ID_NUMBER.match(host.id_number):
        raise LiveError(_("Số giấy tờ tùy thân không hợp lệ: CCCD 12 số, CMND 9 số hoặc hộ chiếu (1 chữ cái và 7 số)."))
    if not host.name.strip():
        raise LiveError(_("Vui lòng nhập họ tên người dẫn."))
    if host.pk:
        before = Host.objects.filter(pk=host.pk).values_list("id_number", flat=True).first()
        if before != host.id_number:
            host.verified_at, host.verified_by = None, None
    host.save()
    return host


def host_verify(*, host: Host, by) -> Host:
    """An editor checked the ID document against the person: record who and when."""
    host.verified_by, host.verified_at = by, timezone.now()
    host.save(update_fields=["verified_by", "verified_at"])
    return host
