"""Live-session fixtures: a verified host, a certified SKU, and a scheduler for sessions."""
import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from marketplace.livestreams import services
from marketplace.livestreams.models import Host, Occurrence
from marketplace.livestreams.recurrence import to_local
from tests import factories


@pytest.fixture
def editor(db):
    return factories.UserFactory(username="bientap.live", is_superuser=True, is_staff=True)


@pytest.fixture
def host(editor):
    host = services.host_save(host=Host(name="Nguyễn Thị Hoa", id_number="001203004567"))
    return services.host_verify(host=host, by=editor)


@pytest.fixture
def sku(make_listing):
    return make_listing(price_vnd=120000, stock=20).product.skus.get()


def local_in(**delta) -> dt.datetime:
    """A naive Vietnam wall-clock time this far from now, on the minute."""
    return to_local(timezone.now() + dt.timedelta(**delta)).replace(tzinfo=None, second=0, microsecond=0)


@pytest.fixture
def plan(commune, host, sku):
    """plan(**overrides) → a scheduled session (one occurrence, 19:00–21:00-style 2 h, tomorrow)."""

    def make(schedule=True, **overrides):
        start = overrides.pop("starts_local", local_in(days=1))
        data = dict(
            title="Chợ phiên Gia Phú online", commune_id=commune.pk, starts_local=start,
            ends_local=overrides.pop("ends_local", start + dt.timedelta(hours=2)), host_ids=[host.pk],
            featured=[services.FeaturedData(sku_id=sku.pk, live_price_vnd=99000, cap_total=5, cap_per_buyer=2)],
            links={"tiktok": "https://www.tiktok.com/@giaphu/live", "own": ""}, venue="Nhà văn hoá thôn 3",
        )
        data.update(overrides)
        return services.live_session_save(data=services.SessionData(**data), schedule=schedule, by=None)

    return make


def open_window(occurrence: Occurrence, *, minutes_ago: int = 5, minutes_left: int = 60) -> Occurrence:
    """Let the clock reach the occurrence: its window now holds the present."""
    now = timezone.now()
    Occurrence.objects.filter(pk=occurrence.pk).update(starts_at=now - dt.timedelta(minutes=minutes_ago),
                                                       ends_at=now + dt.timedelta(minutes=minutes_left))
    occurrence.refresh_from_db()
    return occurrence


def close_window(occurrence: Occurrence) -> Occurrence:
    now = timezone.now()
    Occurrence.objects.filter(pk=occurrence.pk).update(starts_at=now - dt.timedelta(hours=2), ends_at=now - dt.timedelta(minutes=1))
    occurrence.refresh_from_db()
    return occurrence


def confirm_subscriptions() -> int:
    """Follow every confirmation link e-mailed so far (double opt-in), then forget those e-mails."""
    tokens = [token for message in mail.outbox for token in re.findall(r"/xac-nhan-nhac-lich/([^/\s]+)/", message.body)]
    for token in tokens:
        assert services.subscription_confirm(token=token) is not None
    mail.outbox.clear()
    return len(tokens)
