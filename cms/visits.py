"""Visit counts per page and day (Vietnam time): an aggregate only, nothing about the visitor.

The page cache answers most visits before any view runs, so `marketplace.pagecache` calls
`record(page_id)` for hits and misses alike. Counting must not slow the page down: `record`
adds to an in-process buffer (a dict increment under a lock, a few microseconds) and, every
VISITS_FLUSH_EVERY hits or VISITS_FLUSH_SECONDS seconds, hands the buffer to a short-lived
background thread that writes it as one UPSERT per page and day (`count = count + n`); the
request never waits for the database, and never runs a query of its own for it. The buffer is
also written when the process exits. A crashed worker loses at most its unwritten buffer;
counts are statistics, not money.
"""
from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
import time
from collections import Counter

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)


class PageVisit(models.Model):
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("ngày"))
    count = models.PositiveIntegerField(_("lượt xem"), default=0)

    class Meta:
        verbose_name = _("lượt xem trang")
        constraints = [models.UniqueConstraint(fields=["page", "day"], name="page_visit_one_row_a_day")]


_lock = threading.Lock()
_buffer: Counter = Counter()
_pending = 0
_last_flush = time.monotonic()
_flusher: threading.Thread | None = None
_day: dt.date | None = None
_day_ends = 0.0  # epoch seconds at which `_day` stops being today (local midnight)


def record(page_id: int) -> None:
    """Count one visit of `page_id` today; cheap enough for every cached hit."""
    global _pending
    with _lock:
        _buffer[(page_id, _today())] += 1
        _pending += 1
        due = _pending >= settings.VISITS_FLUSH_EVERY or time.monotonic() - _last_flush >= settings.VISITS_FLUSH_SECONDS
    if due:
        flush_in_background()


def _today() -> dt.date:
    """Today in Vietnam time, recomputed once a day rather than on every hit."""
    global _day, _day_ends
    now = time.time()
    if now >= _day_ends:
        local = timezone.localtime()
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        _day, _day_ends = local.date(), (midnight + dt.timedelta(days=1)).timestamp()
    return _day


def flush_in_background() -> None:
    """Write the buffer from a thread of its own (one at a time), so no request waits for it."""
    global _flusher, _last_flush
    with _lock:
        if _flusher is not None and _flusher.is_alive():
            return
        _last_flush = time.monotonic()
        _flusher = threading.Thread(target=_flush_and_close, name="visit-counts", daemon=True)
        _flusher.start()


def _flush_and_close() -> None:
    try:
        flush()
    finally:
        connection.close()  # this thread's own connection


def flush() -> int:
    """Write the buffered counts; returns the number of rows touched. Never raises: a database
    hiccup puts the counts back for the next flush."""
    global _buffer, _pending, _last_flush
    with _lock:
        taken, _buffer, _pending, _last_flush = _buffer, Counter(), 0, time.monotonic()
    if not taken:
        return 0
    try:
        visits_add(counts=taken)
    except Exception as error:  # the visitor's page must never fail because of statistics
        log.warning("writing %s visit counts failed (%s); kept for the next flush", len(taken), error)
        with _lock:
            _buffer.update(taken)
        return 0
    return len(taken)


def visits_add(*, counts: dict[tuple[int, dt.date], int]) -> None:
    """Add counts to the daily rows in one statement batch (SQLite and PostgreSQL both UPSERT)."""
    table = connection.ops.quote_name(PageVisit._meta.db_table)
    sql = (f"INSERT INTO {table} (page_id, day, count) VALUES (%s, %s, %s) "
           f"ON CONFLICT (page_id, day) DO UPDATE SET count = {table}.count + excluded.count")
    rows = [(page_id, day, n) for (page_id, day), n in sorted(counts.items())]
    # A page deleted since its visit would break the foreign key: keep only existing pages.
    from wagtail.models import Page

    existing = set(Page.objects.filter(pk__in={row[0] for row in rows}).values_list("pk", flat=True))
    rows = [row for row in rows if row[0] in existing]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _flush_at_exit() -> None:
    # Tests turn it off: by then the test database is gone.
    if getattr(settings, "VISITS_FLUSH_AT_EXIT", True):
        flush()


atexit.register(_flush_at_exit)
