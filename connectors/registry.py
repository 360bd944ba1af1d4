"""The configured platforms: which lanes (platform credentials) exist and their adapters.

Two sources, merged per lane (platform, account):

1. The environment (DESIGN.md): `CONNECTOR_POSTMART_*`, `CONNECTOR_VOSO_*`,
   `CONNECTOR_NGHEAN37_URL` + `CONNECTOR_NGHEAN37_API_KEYS` (`commune_code:key,...`).
2. `Connection` rows entered in the admin by operators (any platform) and commune editors
   (their commune's 37nghean key).

**The environment wins**: a lane set by the environment is shown in the admin as "set by the
environment" and cannot be changed there, because deployment configuration must stay the source
of truth where an operator put it (and a leaked admin account must not redirect a production
credential). The admin adds lanes the environment does not name — typically more communes'
37nghean keys. A 37nghean admin row without a URL uses `CONNECTOR_NGHEAN37_URL`.

The registry is an explicit table of slugs → adapter classes (no loading by dotted name).
"""
from __future__ import annotations

import dataclasses
import threading

import requests

from django.conf import settings

from .base import PlatformAdapter
from .models import Connection, Platform

LANE_ACCOUNT_PLATFORMS = frozenset({Platform.NGHEAN37})  # one credential per commune


@dataclasses.dataclass(frozen=True)
class Lane:
    """One platform credential."""

    platform: str
    account: str  # "" or, for 37nghean, the commune code
    base_url: str
    key_id: str = ""
    secret: str = ""
    shop_id: str = ""
    webhook_secret: str = ""
    source: str = "env"  # "env" | "admin"

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.account}" if self.account else self.platform

    @property
    def label(self) -> str:
        name = Platform(self.platform).label
        return f"{name} ({self.account})" if self.account else name


def _env_lanes() -> list[Lane]:
    lanes = []
    pm = settings.CONNECTOR_POSTMART
    if pm["url"] and pm["client_id"] and pm["client_secret"]:
        lanes.append(Lane(Platform.POSTMART, "", pm["url"], pm["client_id"], pm["client_secret"], webhook_secret=pm["webhook_secret"]))
    vs = settings.CONNECTOR_VOSO
    if vs["url"] and vs["app_key"] and vs["app_secret"] and vs["shop_id"]:
        lanes.append(Lane(Platform.VOSO, "", vs["url"], vs["app_key"], vs["app_secret"], shop_id=vs["shop_id"]))
    ng = settings.CONNECTOR_NGHEAN37
    if ng["url"]:
        for commune_code, key in parse_commune_keys(ng["api_keys"]).items():
            lanes.append(Lane(Platform.NGHEAN37, commune_code, ng["url"], secret=key))
    return lanes


def parse_commune_keys(raw: str) -> dict[str, str]:
    """`commune_code:key,commune_code:key` → {code: key}; malformed items are ignored."""
    keys = {}
    for item in (raw or "").split(","):
        code, sep, key = item.strip().partition(":")
        if sep and code.strip().isdigit() and len(code.strip()) == 5 and key.strip():
            keys[code.strip()] = key.strip()
    return keys


def _admin_lane(row: Connection) -> Lane | None:
    base_url = row.base_url or (settings.CONNECTOR_NGHEAN37["url"] if row.platform == Platform.NGHEAN37 else "")
    complete = {
        Platform.POSTMART: row.key_id and row.secret,
        Platform.VOSO: row.key_id and row.secret and row.shop_id,
        Platform.NGHEAN37: row.secret and row.account,
    }.get(row.platform)
    if not (row.enabled and base_url and complete):
        return None
    return Lane(row.platform, row.account, base_url, row.key_id, row.secret, row.shop_id, row.webhook_secret, source="admin")


def lanes(*, platform: str | None = None) -> list[Lane]:
    """Every configured lane (environment first; admin rows for lanes the environment lacks)."""
    found = {(lane.platform, lane.account): lane for lane in _env_lanes()}
    for row in Connection.objects.all():
        lane = _admin_lane(row)
        if lane and (lane.platform, lane.account) not in found:
            found[(lane.platform, lane.account)] = lane
    result = sorted(found.values(), key=lambda lane: (list(Platform.values).index(lane.platform), lane.account))
    return [lane for lane in result if platform is None or lane.platform == platform]


def env_lane_keys() -> set[tuple[str, str]]:
    return {(lane.platform, lane.account) for lane in _env_lanes()}


def lane_get(*, platform: str, account: str = "") -> Lane | None:
    return next((lane for lane in lanes(platform=platform) if lane.account == account), None)


def lanes_for_commune(*, commune_code: str, configured: list[Lane] | None = None) -> list[Lane]:
    """The lanes a product of this commune is listed on: every one-account platform, and the
    37nghean key of its own commune (a key only sees its own commune's products)."""
    configured = lanes() if configured is None else configured
    return [lane for lane in configured if lane.platform not in LANE_ACCOUNT_PLATFORMS or lane.account == commune_code]


_adapters: dict[Lane, PlatformAdapter] = {}
_adapters_lock = threading.Lock()


def adapter_for(lane: Lane) -> PlatformAdapter:
    """The adapter for one lane (one per credential, kept for the process: it holds the token)."""
    with _adapters_lock:
        adapter = _adapters.get(lane)
        if adapter is None:
            adapter = _adapters[lane] = _build(lane)
        return adapter


def _build(lane: Lane) -> PlatformAdapter:
    from .http import ConnectorSession
    from .platforms import nghean37, postmart, voso

    session = ConnectorSession(timeout=tuple(settings.CONNECTOR_HTTP_TIMEOUT))
    # Proxy variables are read once per lane, not on every call (requests re-reads the whole
    # environment per request otherwise, a large share of a fast call's time).
    session.proxies.update(requests.utils.get_environ_proxies(lane.base_url))
    session.trust_env = False
    if lane.platform == Platform.POSTMART:
        return postmart.PostMartAdapter(base_url=lane.base_url, client_id=lane.key_id, client_secret=lane.secret, session=session)
    if lane.platform == Platform.VOSO:
        return voso.VosoAdapter(base_url=lane.base_url, app_key=lane.key_id, app_secret=lane.secret, shop_id=lane.shop_id,
                                session=session)
    if lane.platform == Platform.NGHEAN37:
        return nghean37.NgheAn37Adapter(base_url=lane.base_url, api_key=lane.secret, commune_code=lane.account, session=session)
    raise KeyError(lane.platform)


def adapters_reset() -> None:
    """Forget built adapters (tests and the admin call this after a connection changes)."""
    with _adapters_lock:
        _adapters.clear()


def mask(secret: str) -> str:
    """A credential as the admin shows it: never in full."""
    if not secret:
        return ""
    return "••••" + (secret[-4:] if len(secret) >= 8 else "")
