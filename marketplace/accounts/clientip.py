"""The client's address, the one key that login throttling and sign-up rate limits share.

Without a proxy the client is REMOTE_ADDR. Behind N reverse proxies that each append to
X-Forwarded-For (nginx `proxy_add_x_forwarded_for`), the client is the N-th address from the
right: anything further left was written by the client and can be forged, so it is never used.
"""
from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        return remote  # not through the expected proxies: trust only the socket
    candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
