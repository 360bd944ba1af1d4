"""One occurrence at a time: move it, cancel it (or the whole session); the session's state follows."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import LiveSession, Occurrence
from ..recurrence import to_utc
from .errors import LiveError
from .schedule import ACTIVE, live_session_conflicts, manager_or_raise


def occurrence_move(*, occurrence: Occurrence, starts_local: dt.datetime, ends_local: dt.datetime, by) -> Occurrence:
    """Move one future occurrence (subscribers are reminded at the new time). `by` must manage
    the session (`manager_or_raise`; None is the system)."""
    manager_or_raise(by=by, session=occurrence.session)
    start, end = to_utc(starts_local), to_utc(ends_local)
    errors = []
    if occurrence.status != Occurrence.Status.SCHEDULED or occurrence.starts_at <= timezone.now():
        errors.append(_("Chỉ dời được buổi live chưa bắt đầu."))
    elif end <= start:
        errors.append(_("Giờ kết thúc phải sau giờ bắt đầu."))
    elif end - start > dt.timedelta(hours=settings.LIVESTREAM_MAX_HOURS):
        errors.append(_("Một phiên live dài tối đa %(hours)s giờ.") % {"hours": settings.LIVESTREAM_MAX_HOURS})
    elif start <= timezone.now():
        errors.append(_("Giờ bắt đầu đã qua: vui lòng chọn thời điểm trong tương lai."))
    else:
        session = occurrence.session
        conflicts = live_session_conflicts(intervals=[(start, end)], host_ids=list(session.hosts.values_list("pk", flat=True)),
                                           venue=session.venue, exclude_occurrence_ids=[occurrence.pk])
        errors.extend(c.message for c in conflicts)
    if errors:
        raise LiveError(errors)
    with transaction.atomic():
        moved = Occurrence.objects.filter(pk=occurrence.pk, status=Occurrence.Status.SCHEDULED).update(
            starts_at=start, ends_at=end, moved_from=occurrence.moved_from or occurrence.starts_at)
        if not moved:
            raise LiveError(_("Chỉ dời được buổi live chưa bắt đầu."))
    occurrence.refresh_from_db()
    return occurrence


def occurrence_cancel(*, occurrence: Occurrence, reason: str = "", by) -> Occurrence:
    """Cancel one occurrence: held units go back to stock; subscribers get one notice. `by` must
    manage the session (`manager_or_raise`; None is the system)."""
    manager_or_raise(by=by, session=occurrence.session)
    with transaction.atomic():
        _cancel(occurrence, reason)
        _session_state_refresh(occurrence.session_id)
    occurrence.refresh_from_db()
    return occurrence


def _cancel(occurrence: Occurrence, reason: str) -> None:
    from .holds import holds_return

    Occurrence.objects.filter(pk=occurrence.pk, status__in=ACTIVE).update(
        status=Occurrence.Status.CANCELLED, cancel_reason=reason.strip()[:255], cancelled_at=timezone.now())
    holds_return(occurrence_id=occurrence.pk)


def live_session_cancel(*, session: LiveSession, reason: str = "", by) -> LiveSession:
    """Cancel the session and every showing still to come. `by` must manage the session
    (`manager_or_raise`; None is the system)."""
    manager_or_raise(by=by, session=session)
    with transaction.atomic():
        active = list(session.occurrences.filter(status__in=ACTIVE))
        for occurrence in active:
            _cancel(occurrence, reason)
        if active:  # a series that already had showings ends rather than being cancelled
            _session_state_refresh(session.pk)
        LiveSession.objects.filter(pk=session.pk).exclude(state=LiveSession.State.ENDED).update(
            state=LiveSession.State.CANCELLED, cancel_reason=reason.strip()[:255])
    session.refresh_from_db()
    return session


def _session_state_refresh(session_id: int) -> None:
    """live while an occurrence is live; ended (or cancelled) once none is left to come."""
    occurrences = Occurrence.objects.filter(session_id=session_id)
    session = LiveSession.objects.filter(pk=session_id).exclude(state__in=[LiveSession.State.DRAFT, LiveSession.State.CANCELLED])
    if occurrences.filter(status=Occurrence.Status.LIVE).exists():
        session.update(state=LiveSession.State.LIVE)
    elif occurrences.filter(status=Occurrence.Status.SCHEDULED).exists():
        session.update(state=LiveSession.State.SCHEDULED)
    elif occurrences.filter(status=Occurrence.Status.ENDED).exists():
        session.update(state=LiveSession.State.ENDED)
    else:
        session.update(state=LiveSession.State.CANCELLED)
