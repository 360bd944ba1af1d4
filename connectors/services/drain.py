"""The drain: claim due bindings lane by lane, make their calls within each credential's rate
limit, record the results. Several drains (worker processes) may run at once: a binding is
claimed under a row lock (skip_locked) and stamped with a lease; a binding whose worker died is
claimed again once its lease has run out."""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import registry
from ..models import Binding, RemoteState, SyncLog, SyncState
from ..ratelimit import limiter
from .calls import WRITES, Action, finish_unchanged, idempotency_key, perform, plan
from .content import catalogue, opted_out
from .outbox import outbox_fold
from .rows import insert_many, update_many

logger = logging.getLogger(__name__)
CLAIM_BATCH = 100
FLUSH_EVERY = 25


@dataclasses.dataclass
class DrainSummary:
    calls: int = 0
    writes: int = 0
    polls: int = 0
    ok: int = 0
    retry: int = 0
    failed: int = 0
    unchanged: int = 0
    actions: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    def as_dict(self) -> dict:
        return {**{k: getattr(self, k) for k in ("calls", "writes", "polls", "ok", "retry", "failed", "unchanged")},
                "actions": dict(self.actions)}


class LaneRun:
    """One lane's share of a drain: a queue of claimed bindings, refilled in batches."""

    def __init__(self, lane: registry.Lane, *, started: dt.datetime, include_waiting: bool, poll: bool):
        self.lane, self.started, self.include_waiting, self.poll = lane, started, include_waiting, poll
        self.adapter = registry.adapter_for(lane)
        self.limit = max(1, round(self.adapter.rate_per_second))
        self.queue: collections.deque = collections.deque()
        self.done = False
        self.paused_until = 0.0

    def peek(self):
        if not self.queue and not self.done:
            self.queue.extend(claim(self.lane, started=self.started, include_waiting=self.include_waiting))
            if not self.queue and self.poll:
                self.queue.extend(claim_polls(self.lane, started=self.started))
            self.done = not self.queue
        return self.queue[0] if self.queue else None

    def release(self) -> None:
        """Give back what was claimed but not worked on (the drain's time ran out)."""
        ids = [item[0].pk for item in self.queue]
        self.queue.clear()
        if ids:
            Binding.objects.filter(pk__in=ids, sync_state=SyncState.IN_FLIGHT).update(sync_state=SyncState.QUEUED, lease_until=None)
            Binding.objects.filter(pk__in=ids, sync_state=SyncState.IDLE, lease_until__isnull=False).update(lease_until=None)


def _due(lane: registry.Lane, *, now: dt.datetime, started: dt.datetime, include_waiting: bool) -> Q:
    waiting = Q(sync_state=SyncState.RETRY) if include_waiting else Q(sync_state=SyncState.RETRY, next_attempt_at__lte=now)
    states = Q(sync_state=SyncState.QUEUED) | waiting | Q(sync_state=SyncState.IN_FLIGHT, lease_until__lt=now)
    fresh = Q(claimed_at__isnull=True) | Q(claimed_at__lt=started)  # not twice in one drain
    return Q(platform=lane.platform, account=lane.account) & states & fresh


def claim(lane: registry.Lane, *, started: dt.datetime, include_waiting: bool, size: int = CLAIM_BATCH) -> list:
    """Take up to `size` due bindings of this lane: (binding, content or None, action)."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(Binding.objects.select_for_update(skip_locked=True)
                    .filter(_due(lane, now=now, started=started, include_waiting=include_waiting)).order_by("pk")[:size])
        if not rows:
            return []
        Binding.objects.filter(pk__in=[b.pk for b in rows]).update(
            sync_state=SyncState.IN_FLIGHT, lease_until=now + dt.timedelta(seconds=settings.CONNECTOR_LEASE_SECONDS),
            claimed_at=now, requeue=False)
        items = _with_content(lane, rows)
        # A create's idempotency key is stored with the claim, before any call is sent.
        keyed = []
        for binding, content, action in items:
            if action in (Action.CREATE, Action.RELIST):
                key = idempotency_key(binding, content)
                if binding.idempotency_key != key:
                    binding.idempotency_key = key
                    keyed.append((binding.pk, {"idempotency_key": key}))
        update_many(Binding, keyed)
    return items


def claim_polls(lane: registry.Lane, *, started: dt.datetime, size: int = CLAIM_BATCH) -> list:
    """Listings under review not read for a polling interval (idle ones only: work comes first)."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.CONNECTOR_POLL_INTERVAL_SECONDS)
    with transaction.atomic():
        rows = list(Binding.objects.select_for_update(skip_locked=True).filter(
            Q(last_polled_at__isnull=True) | Q(last_polled_at__lte=stale),
            platform=lane.platform, account=lane.account, sync_state=SyncState.IDLE,
            remote_status=RemoteState.PENDING_REVIEW).exclude(external_id="").order_by("last_polled_at", "pk")[:size])
        if not rows:
            return []
        Binding.objects.filter(pk__in=[b.pk for b in rows]).update(
            lease_until=now + dt.timedelta(seconds=settings.CONNECTOR_LEASE_SECONDS), last_polled_at=now)
    return [(binding, None, Action.POLL) for binding in rows]


def _with_content(lane: registry.Lane, rows: list[Binding]) -> list:
    skus = catalogue({b.sku_id for b in rows})
    outs = opted_out({sku.product_id for sku in skus.values() if sku.sellable})
    items = []
    for binding in rows:
        sku = skus.get(binding.sku_id)
        wanted = sku is not None and sku.sellable and (sku.product_id, lane.platform) not in outs
        content = sku.content if wanted else None
        items.append((binding, content, plan(binding, content)))
    return items


def drain(*, platform: str | None = None, include_waiting: bool = False, poll: bool = True,
          max_seconds: float | None = None) -> DrainSummary:
    """Do the connector work that is due, for every configured lane (or one platform's).

    `include_waiting`: also bindings whose retry time has not come (the sync_listings command).
    `max_seconds`: stop claiming after this long (a task's share); claimed work is given back."""
    lanes = registry.lanes(platform=platform)
    outbox_fold(lanes=lanes)
    started = timezone.now()
    runs = [LaneRun(lane, started=started, include_waiting=include_waiting, poll=poll) for lane in lanes]
    summary, recorder = DrainSummary(), Recorder()
    deadline = time.monotonic() + max_seconds if max_seconds else None
    try:
        while not all(run.done and not run.queue for run in runs):
            if deadline and time.monotonic() > deadline:
                break
            soonest = _round(runs, summary, recorder)
            if soonest is not None:
                recorder.flush()
                time.sleep(min(soonest, 0.25))
    finally:
        recorder.flush()
        for run in runs:
            run.release()
    return summary


def _round(runs: list[LaneRun], summary: DrainSummary, recorder: "Recorder") -> float | None:
    """One pass over the lanes, one binding each where allowed; the wait before the next pass
    when nothing could move (None: something moved)."""
    soonest, moved = None, False
    for run in runs:
        item = run.peek()
        if item is None:
            continue
        wait = run.paused_until - time.monotonic()
        if item[2] != Action.NONE and wait <= 0 and settings.CONNECTOR_RATE_LIMITS:
            wait = limiter().try_acquire(run.lane.key, run.limit)
        if item[2] != Action.NONE and wait > 0:
            soonest = wait if soonest is None else min(soonest, wait)
            continue
        run.queue.popleft()
        _work(run, *item, summary, recorder)
        moved = True
    return None if moved else (soonest or 0.01)


def _work(run: LaneRun, binding: Binding, content, action: Action, summary: DrainSummary, recorder: "Recorder") -> None:
    if action == Action.NONE:
        recorder.add(binding, finish_unchanged(binding))
        summary.unchanged += 1
    else:
        with run.adapter.session.paced(_pacer(run)):
            outcome = perform(run.adapter, binding, content, action)
        summary.calls += outcome.calls
        summary.writes += outcome.calls if action in WRITES else 0
        summary.polls += 1 if action == Action.POLL else 0
        summary.actions[action.value] += 1
        if outcome.ok:
            summary.ok += 1
        elif outcome.fields.get("error_final"):
            summary.failed += 1
        else:
            summary.retry += 1
        if outcome.retry_after:
            run.paused_until = time.monotonic() + outcome.retry_after
        recorder.add(binding, outcome.fields, {"binding_id": binding.pk, "platform": run.lane.platform, "account": run.lane.account,
                                               "action": action.value, "ok": outcome.ok, "message": outcome.message[:2000]})


class Recorder:
    """Results waiting to be written: flushed together, in one transaction, every few bindings
    and before any pause. A binding stays "in flight" (leased) until its result is written."""

    def __init__(self):
        self.results: list[tuple[int, dict]] = []
        self.logs: list[dict] = []  # SyncLog rows

    def add(self, binding: Binding, fields: dict, log: dict | None = None) -> None:
        self.results.append((binding.pk, {**fields, "updated_at": timezone.now()}))
        if log is not None:
            self.logs.append(log)
        if len(self.results) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if not self.results:
            return
        results, self.results = self.results, []
        logs, self.logs = self.logs, []
        with transaction.atomic():
            # Changed again while in flight (the outbox fold set the flag): back in the queue.
            # The rows are locked by this read (PostgreSQL) or the write transaction (SQLite).
            requeued = set(Binding.objects.select_for_update().filter(pk__in=[pk for pk, _ in results], requeue=True)
                           .values_list("pk", flat=True))
            back = {"sync_state": SyncState.QUEUED, "next_attempt_at": None, "claimed_at": None, "requeue": False}
            update_many(Binding, [(pk, {**fields, **back} if pk in requeued else fields) for pk, fields in results])
            insert_many(SyncLog, logs)


def _pacer(run: LaneRun):
    """Before each HTTP request of one piece of work: the first was paid for by the scheduler's
    grant; every further one (a category read before a create, a 409 resolved by a read and a
    write, a token fetch) waits for the limiter, so the platform never sees more than we count."""
    first = True
    limited = settings.CONNECTOR_RATE_LIMITS

    def pace() -> None:
        nonlocal first
        if first:
            first = False
        elif limited:
            limiter().acquire(run.lane.key, run.limit)

    return pace
