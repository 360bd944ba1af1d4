"""Locked logins as the operator sees them, and the unlock. Axes keeps one attempt row per
(username, address, browser); a username or an address is locked when its failures within the
cool-off reach the limit (AXES_LOCKOUT_PARAMETERS = username, ip_address)."""
from __future__ import annotations

import dataclasses
import datetime as dt

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

USERNAME, ADDRESS = "username", "ip_address"


@dataclasses.dataclass(frozen=True)
class Lockout:
    kind: str  # USERNAME or ADDRESS
    value: str
    failures: int
    last_attempt: dt.datetime
    until: dt.datetime


def lockouts_active(*, now: dt.datetime | None = None) -> list[Lockout]:
    now = now or timezone.now()
    recent = AccessAttempt.objects.filter(attempt_time__gt=now - settings.AXES_COOLOFF_TIME)
    rows = []
    for kind in (USERNAME, ADDRESS):
        grouped = (recent.exclude(**{f"{kind}__isnull": True}).values(kind)
                   .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
                   .filter(failures__gte=settings.AXES_FAILURE_LIMIT).order_by("-last"))
        rows += [Lockout(kind=kind, value=row[kind], failures=row["failures"], last_attempt=row["last"],
                         until=row["last"] + settings.AXES_COOLOFF_TIME) for row in grouped]
    return rows


def lockout_release(*, kind: str, value: str) -> int:
    """Forget the failures of one username or one address; returns the attempt rows removed."""
    if kind == USERNAME:
        return reset(username=value)
    if kind == ADDRESS:
        return reset(ip=value)
    raise ValueError(kind)
