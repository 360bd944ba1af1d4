"""One binding's work: decide which call (if any) brings the platform in step, make it, and turn
the answer or the error into the binding's new fields. Pure of scheduling and rate limits."""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import logging
import random

from django.conf import settings
from django.utils import timezone

from ..base import ListingContent, PlatformAdapter, RemoteListing, RemoteStatus
from ..exceptions import AlreadyExists, ConnectorError, FinalError, NotFound, RateLimited, RetryableError
from ..models import Binding, RemoteState, SyncState
from .content import content_hash, full_hash

logger = logging.getLogger(__name__)


class Action(enum.StrEnum):
    NONE = "none"
    CREATE = "create"
    RELIST = "relist"
    UPDATE = "update"
    STOCK = "stock"
    DELIST = "delist"
    POLL = "poll"


REMOTE = {RemoteStatus.PENDING: RemoteState.PENDING_REVIEW, RemoteStatus.LIVE: RemoteState.LIVE,
          RemoteStatus.REJECTED: RemoteState.REJECTED, RemoteStatus.DELISTED: RemoteState.DELISTED}
WRITES = frozenset({Action.CREATE, Action.RELIST, Action.UPDATE, Action.STOCK, Action.DELIST})


def plan(binding: Binding, content: ListingContent | None) -> Action:
    """The call that brings this binding in step (content None: the SKU should not be listed)."""
    if content is None:
        listed = binding.external_id and binding.remote_status not in (RemoteState.DELISTED, RemoteState.NONE)
        return Action.DELIST if listed else Action.NONE
    if binding.error_final and binding.attempted_hash == full_hash(content):
        return Action.NONE  # the platform refused exactly this; wait for the producer to change it
    if not binding.external_id or binding.remote_status == RemoteState.NONE:
        return Action.CREATE
    if binding.remote_status == RemoteState.DELISTED:
        return Action.RELIST
    if binding.content_hash != content_hash(content):
        return Action.UPDATE
    if binding.pushed_stock != content.stock:
        return Action.STOCK
    return Action.NONE


@dataclasses.dataclass
class Outcome:
    fields: dict
    ok: bool
    message: str = ""
    retry_after: float | None = None  # set when the platform asked us to slow down
    calls: int = 0


def idempotency_key(binding: Binding, content: ListingContent) -> str:
    """Same binding, same delist generation, same content → same key (a retried create after a
    timeout is the same request); a relist or a content change gets a new one."""
    return f"ocop-{binding.pk}-{binding.generation}-{full_hash(content)[:16]}"


def perform(adapter: PlatformAdapter, binding: Binding, content: ListingContent | None, action: Action) -> Outcome:
    """Make the call(s); never raises for a platform's answer."""
    calls = [0]

    def counted(fn, *args, **kwargs):
        calls[0] += 1
        return fn(*args, **kwargs)

    try:
        outcome = _perform(counted, adapter, binding, content, action)
    except RateLimited as error:
        outcome = _retry(binding, content, error, rate_limited=True)
    except RetryableError as error:
        outcome = _retry(binding, content, error)
    except FinalError as error:
        outcome = _final(binding, content, error)
    except Exception as error:  # a malformed answer the adapter did not foresee: log, retry later
        logger.exception("connector %s %s failed unexpectedly", binding.platform, action)
        outcome = _retry(binding, content, ConnectorError(f"{type(error).__name__}: {error}"))
    outcome.calls = calls[0]
    return outcome


def _perform(call, adapter, binding: Binding, content, action: Action) -> Outcome:
    now = timezone.now()
    if action == Action.DELIST:
        try:
            call(adapter.delist, binding.external_id)
        except NotFound:
            pass  # already gone
        return Outcome(_ok(now, remote_status=RemoteState.DELISTED, generation=binding.generation + 1, content_hash="",
                           pushed_stock=None), True, "delisted")
    if action == Action.POLL:
        try:
            listing = call(adapter.get_status, binding.external_id)
        except NotFound:
            return Outcome(_gone(binding, now), True, "gone on the platform")
        return Outcome({**_remote(listing), "last_polled_at": now, "lease_until": None, "sync_state": SyncState.IDLE}, True, "polled")
    if action in (Action.CREATE, Action.RELIST):
        return _create(call, adapter, binding, content, action, now)
    try:
        if action == Action.UPDATE:
            listing = call(adapter.update, binding.external_id, content)
            return Outcome(_ok(now, **_remote(listing), content_hash=content_hash(content), pushed_stock=content.stock), True, "updated")
        if adapter.supports_stock_only:
            call(adapter.set_stock, binding.external_id, content.stock)
            return Outcome(_ok(now, pushed_stock=content.stock), True, "stock")
        # No stock call on this platform: a full replace (one call, where set_stock would read first).
        listing = call(adapter.update, binding.external_id, content)
        return Outcome(_ok(now, **_remote(listing), pushed_stock=content.stock), True, "stock (full update)")
    except NotFound:
        return Outcome(_gone(binding, now), True, "gone on the platform; listing again")


def _create(call, adapter, binding: Binding, content: ListingContent, action: Action, now: dt.datetime) -> Outcome:
    key = idempotency_key(binding, content)
    if binding.idempotency_key != key:  # stored before the call, so a retry after a crash reuses it
        Binding.objects.filter(pk=binding.pk).update(idempotency_key=key)
        binding.idempotency_key = key
    try:
        if action == Action.RELIST:
            listing = call(adapter.relist, binding.external_id, content, idempotency_key=key)
        else:
            listing = call(adapter.create, content, idempotency_key=key)
        message = action.value
    except AlreadyExists as error:
        if not error.external_id:
            raise
        # An earlier create went through (its answer was lost): adopt it and make its content ours.
        listing = call(adapter.update, error.external_id, content)
        listing = dataclasses.replace(listing, external_id=listing.external_id or error.external_id)
        message = "adopted existing listing"
    return Outcome(_ok(now, **_remote(listing), external_id=listing.external_id, content_hash=content_hash(content),
                       pushed_stock=content.stock, idempotency_key="", last_polled_at=now), True, message)


def _remote(listing: RemoteListing) -> dict:
    fields = {"remote_status": REMOTE.get(listing.status, RemoteState.PENDING_REVIEW), "remote_reason": listing.reason or ""}
    if listing.price_vnd is not None:
        fields["remote_price_vnd"] = listing.price_vnd
    return fields


def _ok(now: dt.datetime, **fields) -> dict:
    return {"sync_state": SyncState.IDLE, "error_final": False, "last_error": "", "attempts": 0, "next_attempt_at": None,
            "last_success_at": now, "attempted_hash": "", "lease_until": None, **fields}


def _gone(binding: Binding, now: dt.datetime) -> dict:
    """The platform no longer has the listing (deleted there): forget its id and list it again."""
    return {"external_id": "", "remote_status": RemoteState.NONE, "remote_reason": "", "content_hash": "", "pushed_stock": None,
            "generation": binding.generation + 1, "sync_state": SyncState.QUEUED, "next_attempt_at": None, "lease_until": None,
            "last_polled_at": now}


def _message(error: ConnectorError) -> str:
    text = error.message or type(error).__name__
    return f"{text} (HTTP {error.status})" if error.status else text


def backoff_seconds(*, attempts: int, retry_after: float | None = None, rate_limited: bool = False) -> float:
    """Exponential with jitter, never sooner than the platform asked; a 429 waits what it said."""
    if rate_limited:
        return (retry_after or 1.0) + random.uniform(0, 0.5)
    base = settings.CONNECTOR_RETRY_BASE_SECONDS * 2 ** min(max(attempts - 1, 0), 16)
    delay = min(base, settings.CONNECTOR_RETRY_MAX_SECONDS) * random.uniform(0.5, 1.0)
    return max(delay, retry_after or 0.0)


def _retry(binding: Binding, content, error: RetryableError | ConnectorError, rate_limited: bool = False) -> Outcome:
    attempts = binding.attempts + 1
    retry_after = getattr(error, "retry_after", None)
    delay = backoff_seconds(attempts=attempts, retry_after=retry_after, rate_limited=rate_limited)
    fields = {"sync_state": SyncState.RETRY, "attempts": attempts, "error_final": False, "last_error": _message(error),
              "next_attempt_at": timezone.now() + dt.timedelta(seconds=delay), "lease_until": None,
              "attempted_hash": full_hash(content) if content else ""}
    return Outcome(fields, False, _message(error), retry_after=(retry_after or 1.0) if rate_limited else None)


def _final(binding: Binding, content, error: FinalError) -> Outcome:
    fields = {"sync_state": SyncState.FAILED, "attempts": binding.attempts + 1, "error_final": True,
              "last_error": _message(error), "next_attempt_at": None, "lease_until": None,
              "attempted_hash": full_hash(content) if content else ""}
    return Outcome(fields, False, _message(error))


def finish_unchanged(binding: Binding) -> dict:
    state = SyncState.FAILED if binding.error_final else SyncState.IDLE
    return {"sync_state": state, "lease_until": None, "next_attempt_at": None}
