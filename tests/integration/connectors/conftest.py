"""The three fake platforms on 127.0.0.1, a fresh set per test, wired into the settings the way
the environment would configure them. Calls go through real HTTP; only time-outs are short."""
from __future__ import annotations

import contextlib
import dataclasses

import pytest

from connectors import registry
from connectors.services import drain, orders_import, reconcile
from tests.fakes.platforms import server
from tests.fakes.platforms.postmart import PostMartFake
from tests.fakes.platforms.voso import VosoFake

COMMUNE = "02923"  # the `commune` fixture's commune: its 37nghean key
WEBHOOK_SECRET = "whsec-test-postmart"


def _nghean_fake(**kwargs):
    from tests.fakes.platforms.nghean37 import NgheAn37Fake

    return NgheAn37Fake(**kwargs)


@dataclasses.dataclass
class Platforms:
    postmart: PostMartFake
    voso: VosoFake
    nghean37: object

    @property
    def all(self):
        return [self.postmart, self.voso, self.nghean37]

    def write_calls(self) -> int:
        return sum(fake.write_calls for fake in self.all)

    def reset_counters(self) -> None:
        for fake in self.all:
            fake.reset_counters()

    def sync(self, **kwargs):
        """What `sync_listings` does: reconcile, then everything pending (retries included)."""
        reconcile(lanes=registry.lanes())
        return drain(include_waiting=True, **kwargs)

    def import_orders(self):
        return {lane.key: orders_import(lane=lane) for lane in registry.lanes()}


def nghean_key(fake) -> str:
    return getattr(fake, "key_for", lambda code: f"key-{code}")(COMMUNE)


@pytest.fixture
def fakes_options():
    """Override in a test module to start the fakes differently (e.g. with rate limits)."""
    return {"rate_limits": False, "timeout_sleep": 0.6}


@pytest.fixture
def platforms(settings, fakes_options, db):
    with contextlib.ExitStack() as stack:
        pm = stack.enter_context(server.running(PostMartFake(**fakes_options)))
        vs = stack.enter_context(server.running(VosoFake(**fakes_options)))
        ng = stack.enter_context(server.running(_nghean_fake(**fakes_options)))
        settings.CONNECTOR_POSTMART = {"url": pm.url, "client_id": pm.client_id, "client_secret": pm.client_secret,
                                       "webhook_secret": WEBHOOK_SECRET}
        settings.CONNECTOR_VOSO = {"url": vs.url, "app_key": vs.app_key, "app_secret": vs.app_secret, "shop_id": vs.shop_id}
        settings.CONNECTOR_NGHEAN37 = {"url": ng.url, "api_keys": f"{COMMUNE}:{nghean_key(ng)}"}
        settings.CONNECTOR_HTTP_TIMEOUT = (1.0, 0.4)
        settings.CONNECTOR_RATE_LIMITS = False
        settings.CONNECTOR_REDIS_URL = ""
        settings.CONNECTOR_RETRY_BASE_SECONDS = 1
        registry.adapters_reset()
        yield Platforms(pm, vs, ng)
    registry.adapters_reset()
